/**
 * A bound on the images held decoded at once, process-wide. A decoded image is large (a 12-megapixel
 * photo is 36 MB of RGB) and lives only until it is tiled; without a bound, a batch of thousands of
 * requests would decode all of them before the pool tiles any, and memory would grow with the batch.
 */
import { availableParallelism } from 'node:os';

/** Enough images in hand to keep every core decoding or tiling; past that, images wait their turn. */
export const maxDecodedImages = Math.max(4, 2 * availableParallelism());

class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(count: number) {
    this.free = count;
  }

  /** Runs body once a slot is free, and frees it when body settles. */
  async run<T>(body: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await body();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/** Decoding and tiling of one image runs inside one of these slots. */
export const decodeSlots = new Slots(maxDecodedImages);
