/**
 * Fuzz: image headers and bodies through sharp and our checks (lib/processor/image.ts). Small images
 * in every format sharp reads are encoded once; each run flips, overwrites, inserts or cuts bytes
 * (headers included: a width field set to 0xFFFF claims a giant image), or passes noise or a data:
 * URL. loadImage either returns 8-bit RGB of the size it reports or refuses with an ImageError;
 * never another exception, and nothing decodes past the pixel limit. The same holds for the processor's
 * decode (decodeForTiling: opaque RGB images decode natively with sharp's libvips), whose images tile.
 */
import fc from 'fast-check';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../lib/errors.js';
import { decodeForTiling } from '../../lib/processor/decode.js';
import { loadImage } from '../../lib/processor/image.js';
import { tileCountOf, tileSize, tilingOf, writeTiles } from '../../lib/processor/tiling.js';
import { fuzzRuns } from './arbitraries.js';

const formats = ['png', 'jpeg', 'webp', 'gif', 'tiff'] as const;
const encoded: Buffer[] = [];
/** The same without alpha: what the processor decodes natively. */
const encodedOpaque: Buffer[] = [];
const maxPixels = 1_000_000;

beforeAll(async () => {
  const base = sharp({
    create: { width: 24, height: 16, channels: 4, background: { r: 200, g: 30, b: 90, alpha: 0.5 } },
  });
  for (const format of formats) encoded.push(await base.clone().toFormat(format).toBuffer());
  const opaque = sharp({
    create: { width: 24, height: 16, channels: 3, background: { r: 200, g: 30, b: 90 } },
  });
  for (const format of formats) encodedOpaque.push(await opaque.clone().toFormat(format).toBuffer());
});

type Edit = { at: number; kind: 'set' | 'insert' | 'cut' | 'flip'; bytes: Uint8Array };

const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('set', 'insert', 'cut', 'flip'),
  bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.constant(new Uint8Array([0xff, 0xff]))),
});

function applyEdits(source: Buffer, edits: Edit[]): Buffer {
  let out = Buffer.from(source);
  for (const e of edits) {
    // Headers sit in the first bytes: bias half the edits into the first 64.
    const at = e.at % 2 === 0 ? (e.at >> 1) % Math.min(64, out.length) : e.at % out.length;
    if (e.kind === 'set') out.set(e.bytes.subarray(0, out.length - at), at);
    else if (e.kind === 'flip') out[at] = (out[at] as number) ^ (1 << ((e.bytes[0] as number) % 8));
    else if (e.kind === 'insert') out = Buffer.concat([out.subarray(0, at), e.bytes, out.subarray(at)]);
    else out = out.subarray(0, Math.max(1, at));
  }
  return out;
}

/** Edited images of `sources`, noise, and data: URLs. */
function imageInputs(sources: Buffer[]): fc.Arbitrary<Buffer | string> {
  return fc.oneof(
    fc
      .tuple(fc.nat({ max: formats.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 4 }))
      .map(([i, edits]) => applyEdits(sources[i] as Buffer, edits) as Buffer | string),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes) as Buffer | string),
    fc.string({ maxLength: 40 }).map((s) => `data:${s}`),
    fc
      .nat({ max: formats.length - 1 })
      .map((i) => `data:image/x;base64,${(sources[i] as Buffer).toString('base64').slice(0, 40)}`),
  );
}

describe('fuzz: images', () => {
  it('the processor decodes to an image that tiles, or refuses with an ImageError', async () => {
    let decoded = 0;
    await fc.assert(
      fc.asyncProperty(imageInputs(encodedOpaque), async (bytes) => {
        let image: Awaited<ReturnType<typeof decodeForTiling>>;
        try {
          image = await decodeForTiling(bytes, { maxPixels });
        } catch (error) {
          expect(error).toBeInstanceOf(ImageError);
          return;
        }
        decoded++;
        expect(image.width * image.height).toBeLessThanOrEqual(maxPixels);
        const canvas = tilingOf(
          image,
          [
            [384, 384],
            [768, 384],
          ],
          true,
        );
        const tiles = new Uint8Array(tileCountOf(canvas) * tileSize * tileSize * 3);
        await writeTiles(image, canvas, [127, 127, 127], tiles, 0, true);
      }),
      { numRuns: fuzzRuns(400) },
    );
    expect(decoded).toBeGreaterThan(0);
  });

  it('decodes to RGB of the reported size or refuses with an ImageError', async () => {
    let decoded = 0;
    await fc.assert(
      fc.asyncProperty(imageInputs(encoded), async (bytes) => {
        try {
          const image = await loadImage(bytes, { maxPixels });
          decoded++;
          expect(image.width).toBeGreaterThan(0);
          expect(image.height).toBeGreaterThan(0);
          expect(image.width * image.height).toBeLessThanOrEqual(maxPixels);
          expect(image.data.length).toBe(image.width * image.height * 3);
        } catch (error) {
          expect(error).toBeInstanceOf(ImageError);
        }
      }),
      { numRuns: fuzzRuns(400) },
    );
    expect(decoded).toBeGreaterThan(0);
  });

  it('a header claiming more pixels than the limit is refused before decoding', async () => {
    const png = encoded[0] as Buffer;
    const giant = Buffer.from(png);
    giant.writeUInt32BE(60_000, 16); // IHDR width
    giant.writeUInt32BE(60_000, 20); // IHDR height
    await expect(loadImage(giant)).rejects.toBeInstanceOf(ImageError);
  });
});
