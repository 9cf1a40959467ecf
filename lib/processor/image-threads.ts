/**
 * The size of the native image pool (resize, pad and tile cut; decoding stays in sharp), process-wide.
 * Default max(1, cores - 1): a core stays free for the JS thread and the model's scheduler. The libuv
 * thread that runs an image's task works on it too.
 */
import { InvalidArgumentError } from '../errors.js';
import { nativeAddon } from '../native.js';

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
