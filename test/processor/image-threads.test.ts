/** The image pool's size: validated, resizable while in use, and tiles come out the same at any size. */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { imageThreads, setImageThreads } from '../../lib/processor/index.js';
import { tileCountOf, tileSize, writeTiles } from '../../lib/processor/tiling.js';

const image = {
  width: 1500,
  height: 1000,
  data: new Uint8Array(1500 * 1000 * 3).map((_, i) => (i * 37) & 255),
};
const canvas: [number, number] = [768, 768];

async function tiles(): Promise<Uint8Array> {
  const out = new Uint8Array(tileCountOf(canvas) * tileSize * tileSize * 3);
  await writeTiles(image, canvas, [127, 127, 127], out, 0);
  return out;
}

describe('image pool threads', () => {
  it('defaults to one thread per core, resizes, and gives the same tiles at every size', async () => {
    expect(imageThreads()).toBe(availableParallelism());
    const reference = await tiles();
    for (const threads of [1, 5, 2]) {
      setImageThreads(threads);
      expect(imageThreads()).toBe(threads);
      const results = await Promise.all([tiles(), tiles(), tiles()]);
      for (const result of results) expect(Buffer.compare(result, reference)).toBe(0);
    }
    setImageThreads(0);
    expect(imageThreads()).toBe(availableParallelism());
  });

  it('refuses sizes that are not integers >= 0', () => {
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => setImageThreads(bad)).toThrow(/integer >= 0/);
  });
});
