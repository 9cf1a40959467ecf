/**
 * Fuzz: image headers and bodies through sharp and our checks (lib/processor/image.ts). Small images
 * in every format sharp reads are encoded once; each run flips, overwrites, inserts or cuts bytes
 * (headers included: a width field set to 0xFFFF claims a giant image), damages only the compressed
 * pixels, passes an image untouched, or passes noise or a data: URL. loadImage either returns 8-bit RGB
 * of the size it reports or refuses with an ImageError; never another exception, and nothing decodes
 * past the pixel limit. The same holds for the processor's decode (decodeForTiling: opaque RGB images
 * decode natively with sharp's libvips), whose images tile.
 *
 * So that "refuses everything" cannot pass: an untouched image always decodes, at its size; an image
 * whose edits stay inside its compressed pixels (test/fuzz/pixel-data.ts) keeps every size field, so
 * when it decodes it is 24x16, and at least a measured share of those decode.
 */
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../lib/errors.js';
import { decodeForTiling } from '../../lib/processor/decode.js';
import { loadImage } from '../../lib/processor/image.js';
import { tileCountOf, tileSize, tilingOf, writeTiles } from '../../lib/processor/tiling.js';
import { fuzzRuns } from './arbitraries.js';
import { pixelDataRanges, type Ranges } from './pixel-data.js';

const formats = ['png', 'jpeg', 'webp', 'gif', 'tiff'] as const;
const [width, height] = [24, 16];
const maxPixels = 1_000_000;

/**
 * The least share of pixel-data inputs that must decode. Measured over 10x the CI budget (about 1150
 * such inputs per decoder): 36% through decodeForTiling (opaque sources), 31% through loadImage (with
 * alpha); by format about gif 50-58%, webp 55-63%, tiff 30-39%, jpeg 20%, png 0% (its CRCs refuse any
 * change). At the CI budget about 150 of the 400 inputs are pixel-data ones (weight 3 of 8), and even at
 * a true share of 28% fewer than 12% decode with probability under 2e-6.
 */
const minPixelDataDecodedShare = 0.12;

interface Source {
  format: string;
  bytes: Buffer;
  pixelData: Ranges;
}
const sources: Source[] = [];
/** The same without alpha: what the processor decodes natively. */
const opaqueSources: Source[] = [];

/** Gradients and noise, so the compressed pixels are more than a few bytes. */
function pixels(channels: 3 | 4): Buffer {
  const data = Buffer.alloc(width * height * channels);
  let state = 0x9e3779b9;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const x = Math.floor(i / channels) % width;
    data[i] = i % channels === 3 ? 128 + (x << 2) : (x * 10 + (state >>> 28)) & 255;
  }
  return data;
}

beforeAll(async () => {
  for (const [channels, into] of [
    [4, sources],
    [3, opaqueSources],
  ] as const) {
    const base = sharp(pixels(channels), { raw: { width, height, channels } });
    for (const format of formats) {
      const bytes = await base.clone().toFormat(format).toBuffer();
      into.push({ format, bytes, pixelData: pixelDataRanges(format, bytes) });
    }
  }
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

/** Overwrites or flips bytes only inside the source's compressed pixels: the file keeps its length. */
function applyPixelEdits(source: Source, edits: Edit[]): Buffer {
  const out = Buffer.from(source.bytes);
  const total = source.pixelData.reduce((sum, [start, end]) => sum + end - start, 0);
  for (const e of edits) {
    let offset = e.at % total;
    const [start, end] = source.pixelData.find(([s, en]) => {
      if (offset < en - s) return true;
      offset -= en - s;
      return false;
    }) as [number, number];
    const at = start + offset;
    if (e.kind === 'flip') out[at] = (out[at] as number) ^ (1 << ((e.bytes[0] as number) % 8));
    else out.set(e.bytes.subarray(0, end - at), at);
  }
  return out;
}

/** How an input was made: its decoded size is known only where no size field can have changed. */
type Kind = 'edited' | 'pixel data' | 'untouched' | 'noise' | 'data: URL';
interface Input {
  kind: Kind;
  format: string;
  bytes: Buffer | string;
}

const formatIndex = fc.nat({ max: formats.length - 1 });

/** Edited images of `sources`, images with damaged pixels, untouched ones, noise, and data: URLs. */
function imageInputs(sources: Source[]): fc.Arbitrary<Input> {
  const from = (i: number) => sources[i] as Source;
  return fc.oneof(
    fc.tuple(formatIndex, fc.array(edit, { minLength: 1, maxLength: 4 })).map(
      ([i, edits]): Input => ({
        kind: 'edited',
        format: from(i).format,
        bytes: applyEdits(from(i).bytes, edits),
      }),
    ),
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          formatIndex,
          fc.array(
            fc.record({
              at: fc.nat(),
              kind: fc.constantFrom('set', 'flip'),
              bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
            }),
            { minLength: 1, maxLength: 3 },
          ),
        )
        .map(
          ([i, edits]): Input => ({
            kind: 'pixel data',
            format: from(i).format,
            bytes: applyPixelEdits(from(i), edits),
          }),
        ),
    },
    fc.tuple(formatIndex, fc.boolean()).map(
      ([i, asUrl]): Input => ({
        kind: 'untouched',
        format: from(i).format,
        bytes: asUrl ? `data:image/x;base64,${from(i).bytes.toString('base64')}` : Buffer.from(from(i).bytes),
      }),
    ),
    fc
      .uint8Array({ maxLength: 64 })
      .map((bytes): Input => ({ kind: 'noise', format: '-', bytes: Buffer.from(bytes) })),
    fc.string({ maxLength: 40 }).map((s): Input => ({ kind: 'data: URL', format: '-', bytes: `data:${s}` })),
    formatIndex.map(
      (i): Input => ({
        kind: 'data: URL',
        format: from(i).format,
        bytes: `data:image/x;base64,${from(i).bytes.toString('base64').slice(0, 40)}`,
      }),
    ),
  );
}

/** Inputs tried and decoded, by kind and by kind/format, for the shares asserted after each property. */
class Tally {
  private readonly counts = new Map<string, { tried: number; decoded: number }>();
  add(input: Input, decoded: boolean): void {
    for (const key of [input.kind, `${input.kind}/${input.format}`]) {
      const count = this.counts.get(key) ?? { tried: 0, decoded: 0 };
      count.tried++;
      if (decoded) count.decoded++;
      this.counts.set(key, count);
    }
  }
  get(key: string): { tried: number; decoded: number } {
    return this.counts.get(key) ?? { tried: 0, decoded: 0 };
  }
  report(name: string): void {
    const rows = [...this.counts].sort(([a], [b]) => a.localeCompare(b));
    console.log(`${name}:\n${rows.map(([key, c]) => `  ${key}: ${c.decoded} / ${c.tried}`).join('\n')}`);
  }
}

/** Decoded-or-ImageError, and what each kind of input promises about its decoded size. */
async function checkDecode(
  input: Input,
  tally: Tally,
  decode: () => Promise<{ width: number; height: number }>,
): Promise<{ width: number; height: number } | undefined> {
  let image: { width: number; height: number };
  try {
    image = await decode();
  } catch (error) {
    expect(error).toBeInstanceOf(ImageError);
    expect(input.kind, 'an untouched image decodes').not.toBe('untouched');
    tally.add(input, false);
    return undefined;
  }
  tally.add(input, true);
  expect(image.width).toBeGreaterThan(0);
  expect(image.height).toBeGreaterThan(0);
  expect(image.width * image.height).toBeLessThanOrEqual(maxPixels);
  if (input.kind === 'untouched' || input.kind === 'pixel data')
    expect([image.width, image.height], `${input.kind} ${input.format}`).toEqual([width, height]);
  return image;
}

describe('fuzz: images', () => {
  const processorTally = new Tally();
  const loadTally = new Tally();
  afterAll(() => {
    processorTally.report('decodeForTiling');
    loadTally.report('loadImage');
  });
  const expectPixelDataDecodes = (tally: Tally) => {
    const { tried, decoded } = tally.get('pixel data');
    expect(tried, 'pixel-data inputs tried').toBeGreaterThan(0);
    expect(decoded / tried, `pixel-data inputs decoded: ${decoded} of ${tried}`).toBeGreaterThanOrEqual(
      minPixelDataDecodedShare,
    );
  };

  it('the processor decodes to an image that tiles, or refuses with an ImageError', async () => {
    await fc.assert(
      fc.asyncProperty(imageInputs(opaqueSources), async (input) => {
        let decoded: Awaited<ReturnType<typeof decodeForTiling>> | undefined;
        await checkDecode(input, processorTally, async () => {
          decoded = await decodeForTiling(input.bytes, { maxPixels });
          return decoded;
        });
        if (!decoded) return;
        const canvas = tilingOf(
          decoded,
          [
            [384, 384],
            [768, 384],
          ],
          true,
        );
        const tiles = new Uint8Array(tileCountOf(canvas) * tileSize * tileSize * 3);
        await writeTiles(decoded, canvas, [127, 127, 127], tiles, 0, true);
      }),
      { numRuns: fuzzRuns(400) },
    );
    expectPixelDataDecodes(processorTally);
  });

  it('decodes to RGB of the reported size or refuses with an ImageError', async () => {
    await fc.assert(
      fc.asyncProperty(imageInputs(sources), async (input) => {
        await checkDecode(input, loadTally, async () => {
          const image = await loadImage(input.bytes, { maxPixels });
          expect(image.data.length).toBe(image.width * image.height * 3);
          return image;
        });
      }),
      { numRuns: fuzzRuns(400) },
    );
    expectPixelDataDecodes(loadTally);
  });

  it('a header claiming more pixels than the limit is refused before decoding', async () => {
    const png = Buffer.from((sources[0] as Source).bytes);
    png.writeUInt32BE(60_000, 16); // IHDR width
    png.writeUInt32BE(60_000, 20); // IHDR height
    await expect(loadImage(png)).rejects.toBeInstanceOf(ImageError);
  });
});
