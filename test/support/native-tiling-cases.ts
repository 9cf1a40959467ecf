/**
 * Native tiling (native/image) against the TypeScript oracle (reference-tiling.ts): random images of
 * odd sizes, upscaled and downscaled, every aspect against every kind of canvas, byte for byte.
 * Shared by the AVX2 and the portable test files (each runs in its own process).
 */
import { expect, it } from 'vitest';
import { writeTilesReference } from '../../lib/processor/reference-tiling.js';
import type { RgbImage } from '../../lib/processor/resample.js';
import { type Rgb, tileCountOf, tileSize, writeTiles } from '../../lib/processor/tiling.js';

/** [width, height]: single pixels and lines, primes, just off the tile size, wide and tall strips. */
const sizes: [number, number][] = [
  [1, 1],
  [1, 97],
  [211, 1],
  [7, 5],
  [383, 385],
  [997, 13],
  [29, 1511],
  [641, 479],
  [1277, 853],
  [2003, 1499],
];
const canvases: [number, number][] = [
  [384, 384],
  [768, 384],
  [384, 1152],
  [1152, 768],
];
const fill: Rgb = [127, 127, 127];

/** Deterministic pixels with gradients, edges and noise, so every weight sign and clip is exercised. */
function randomImage(width: number, height: number, seed: number): RgbImage {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const noise = next();
      data[i] = (x * 7 + (noise & 63)) & 255;
      data[i + 1] = ((x ^ y) & 8) === 0 ? 0 : 255;
      data[i + 2] = (noise >>> 8) & 255;
    }
  }
  return { width, height, data };
}

export function nativeMatchesReference(): void {
  it.each(sizes)(
    '%ix%i image: native tiles equal the TypeScript oracle on every canvas',
    async (width, height) => {
      const image = randomImage(width, height, width * 65_537 + height);
      for (const canvas of canvases) {
        const bytes = tileCountOf(canvas) * tileSize * tileSize * 3;
        const native = new Uint8Array(bytes + 5);
        const reference = new Uint8Array(bytes + 5);
        await writeTiles(image, canvas, fill, native, 5);
        await writeTilesReference(image, canvas, fill, reference, 5);
        const firstDifference = native.findIndex((value, i) => value !== reference[i]);
        expect(firstDifference, `canvas ${canvas.join('x')}: first differing byte`).toBe(-1);
      }
    },
  );
}
