/**
 * The size of the native image pool, process-wide: its threads run each image's native decode, resize,
 * pad and tile cut (as many images at once as it has threads) and split a large image's rows between
 * them. Default: one per core, at a lower priority than the JS thread (nice 5 on Linux), so the JS
 * thread still gets a core when it wakes.
 */

import { nativeAddon } from '../engine/addon.js';
import { InvalidArgumentError } from '../errors.js';

/** Threads of the image pool now. */
export function imageThreads(): number {
  return nativeAddon().imageThreads();
}

/** Resizes the image pool (threads >= 1), or restores the default with 0. */
export function setImageThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 0)
    throw new InvalidArgumentError(`image threads must be an integer >= 0 (0: the default), got ${threads}`);
  nativeAddon().setImageThreads(threads);
}
