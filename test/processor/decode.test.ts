/**
 * The processor's decode (native/image/vips_decode through lib/processor/decode.ts) against loadImage
 * (sharp's pipeline): the same tiles for every golden image and for images of every kind sharp converts;
 * the kinds that need a conversion are left to sharp; bad data is refused with ImageError.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../../lib/engine/addon.js';
import { ImageError } from '../../lib/errors.js';
import { readProcessorConfig } from '../../lib/processor/config.js';
import { decodeForTiling, imageDecoder } from '../../lib/processor/decode.js';
import { defaultMaxPixels, loadImage } from '../../lib/processor/image.js';
import { tileCountOf, tileSize, tilingOf, writeTiles } from '../../lib/processor/tiling.js';
import { goldenPath, readJson } from '../support/golden.js';

const { candidateResolutions, padColour } = await readProcessorConfig(goldenPath('models', 'tiny'));
const goldenImages = [
  ...new Set(readJson<{ image: string }[]>('preprocess', 'cases.json').map((c) => c.image)),
  'multi_image_1.jpeg',
  'multi_image_3.jpeg',
  'visual_grounding_1.jpeg',
  'visual_grounding_3.png',
];

async function tilesOf(image: Awaited<ReturnType<typeof decodeForTiling>>): Promise<Uint8Array> {
  const canvas = tilingOf(image, candidateResolutions, true);
  const out = new Uint8Array(tileCountOf(canvas) * tileSize * tileSize * 3);
  await writeTiles(image, canvas, padColour, out, 0, true);
  return out;
}

/** A gradient with noise, so that every encoder keeps detail. */
function rgbPixels(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + ((i * 2_654_435_761) >>> 27)) & 255;
  return pixels;
}
const raw = { raw: { width: 301, height: 203, channels: 3 as const } };
const rgb = rgbPixels(301, 203);

/** Images of each kind: [name, bytes, whether they decode natively (no conversion needed)]. */
const kinds: [string, Promise<Buffer>, boolean][] = [
  ['RGB JPEG', sharp(rgb, raw).jpeg().toBuffer(), true],
  ['RGB PNG', sharp(rgb, raw).png().toBuffer(), true],
  ['RGB WebP', sharp(rgb, raw).webp({ lossless: true }).toBuffer(), true],
  ['palette PNG', sharp(rgb, raw).png({ palette: true }).toBuffer(), true],
  ['greyscale JPEG', sharp(rgb, raw).toColourspace('b-w').jpeg().toBuffer(), false],
  ['RGBA PNG', sharp(rgb, raw).ensureAlpha(0.5).png().toBuffer(), false],
  ['16-bit PNG', sharp(rgb, raw).toColourspace('rgb16').png().toBuffer(), false],
  ['CMYK JPEG', sharp(rgb, raw).toColourspace('cmyk').jpeg().toBuffer(), false],
  // Transformed to sRGB with the profile, as sharp's pipeline does.
  ['JPEG with a P3 profile', sharp(rgb, raw).withIccProfile('p3').jpeg().toBuffer(), true],
  ['JPEG with an sRGB profile', sharp(rgb, raw).withIccProfile('srgb').jpeg().toBuffer(), true],
  // Formats sharp opens with options of its own go through sharp.
  ['RGB TIFF', sharp(rgb, raw).tiff().toBuffer(), false],
];

describe('processor decode', () => {
  it.runIf(process.platform === 'linux')('decodes with sharp’s libvips on Linux', () => {
    expect(imageDecoder()).toBe('libvips');
  });

  it.each(goldenImages)('%s: the same tiles as loadImage', async (name) => {
    const bytes = await readFile(goldenPath('images', name));
    const decoded = await decodeForTiling(bytes);
    const loaded = await loadImage(bytes);
    expect([decoded.width, decoded.height]).toEqual([loaded.width, loaded.height]);
    expect(Buffer.from(await tilesOf(decoded)).equals(Buffer.from(await tilesOf(loaded)))).toBe(true);
  });

  it.each(kinds)('%s: the same tiles as loadImage', async (_, encoded, native) => {
    const bytes = await encoded;
    if (imageDecoder() === 'libvips')
      expect((await nativeAddon().decodeImage(bytes, defaultMaxPixels)) !== undefined).toBe(native);
    const decoded = await decodeForTiling(bytes);
    const loaded = await loadImage(bytes);
    expect([decoded.width, decoded.height]).toEqual([loaded.width, loaded.height]);
    expect(Buffer.from(await tilesOf(decoded)).equals(Buffer.from(await tilesOf(loaded)))).toBe(true);
  });

  it('refuses undecodable, truncated and oversized images with ImageError', async () => {
    await expect(decodeForTiling(Buffer.from('this is not an image'))).rejects.toBeInstanceOf(ImageError);
    const jpeg = await kinds[0]?.[1];
    await expect(decodeForTiling(jpeg?.subarray(0, 600) as Buffer)).rejects.toBeInstanceOf(ImageError);
    await expect(decodeForTiling(jpeg as Buffer, { maxPixels: 1000 })).rejects.toThrow(/more than the limit/);
  });

  it('tiles a natively decoded image once', async () => {
    const decoded = await decodeForTiling(await (kinds[0]?.[1] as Promise<Buffer>));
    await tilesOf(decoded);
    if (imageDecoder() === 'libvips') await expect(tilesOf(decoded)).rejects.toThrow(/already tiled/);
  });
});
