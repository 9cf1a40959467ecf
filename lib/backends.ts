/** What this binary can run on: the CPU always, CUDA when compiled in and a GPU answers. */

import { type BackendInfo, nativeAddon } from './engine/addon.js';
import { fromNativeError } from './errors.js';

export type { BackendInfo, CudaDevice } from './engine/addon.js';

/** The version of the native addon (equal to the package version when the build is current). */
export function nativeVersion(): string {
  return nativeAddon().version();
}

/** Lists the compute backends of this binary and whether each can run on this machine. */
export function backends(): BackendInfo[] {
  try {
    return nativeAddon().backends();
  } catch (error) {
    throw fromNativeError(error);
  }
}
