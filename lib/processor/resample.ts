/**
 * PIL's bicubic resize, reproduced: the official processor resizes with PIL (`Image.resize(...,
 * BICUBIC)`, antialiased: the filter widens by the downscale factor), horizontal pass first. PIL
 * resizes 8-bit images in fixed point (weights scaled by 2^22 and rounded, sums rounded and clipped to
 * 8 bits after each pass); doing the same here gives PIL's bytes, not just close ones. sharp's kernels
 * differ enough to miss the golden tiles. The processor runs the native port of this file
 * (native/image); this one stays as the readable reference the native resize is tested against
 * (reference-tiling.ts, test/processor/native-tiling*.test.ts).
 */

/** An 8-bit RGB image, rows top to bottom, pixels interleaved. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array; // [height][width][3]
}

/** PIL's bicubic kernel (a = -0.5), support 2. */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** Fixed-point precision of the weights: 32 bits minus 8 for the pixel and 2 of headroom. */
const precisionBits = 22;
const half = 1 << (precisionBits - 1);

interface Taps {
  first: Int32Array; // [out] first input index
  count: Int32Array; // [out] inputs read
  weights: Float64Array; // [out][maxTaps] weights scaled by 2^22, integers
  maxTaps: number;
}

/** Per output pixel, the input pixels and their fixed-point weights, normalised to sum 1 first. */
function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const inverse = 1 / filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  const real = new Float64Array(maxTaps);
  for (let x = 0; x < outSize; x++) {
    const center = (x + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const w = bicubic((i + lo - center + 0.5) * inverse);
      real[i] = w;
      sum += w;
    }
    for (let i = 0; i < n; i++) {
      const w = sum === 0 ? (real[i] as number) : (real[i] as number) / sum;
      weights[x * maxTaps + i] = Math.trunc(
        w < 0 ? w * (1 << precisionBits) - 0.5 : w * (1 << precisionBits) + 0.5,
      );
    }
    first[x] = lo;
    count[x] = n;
  }
  return { first, count, weights, maxTaps };
}

/** A fixed-point sum back to 8 bits, as PIL's clip8. */
const clip8 = (sum: number) => {
  const v = sum >> precisionBits;
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

// src: [h][w][3] -> rows y0..y1 of out: [h][width][3]
function rowsPass(src: RgbImage, t: Taps, out: RgbImage, y0: number, y1: number): void {
  const { first, count, weights, maxTaps } = t;
  const data = src.data;
  const width = out.width;
  let o = y0 * width * 3;
  for (let y = y0; y < y1; y++) {
    const row = y * src.width * 3;
    for (let x = 0; x < width; x++) {
      let r = half;
      let g = half;
      let b = half;
      const n = count[x] as number;
      let w = x * maxTaps;
      let p = row + (first[x] as number) * 3;
      for (let k = 0; k < n; k++, w++, p += 3) {
        const c = weights[w] as number;
        r += (data[p] as number) * c;
        g += (data[p + 1] as number) * c;
        b += (data[p + 2] as number) * c;
      }
      out.data[o++] = clip8(r);
      out.data[o++] = clip8(g);
      out.data[o++] = clip8(b);
    }
  }
}

// src: [h][w][3] -> rows y0..y1 of out: [height][w][3]
function columnsPass(src: RgbImage, t: Taps, out: RgbImage, y0: number, y1: number): void {
  const { first, count, weights, maxTaps } = t;
  const data = src.data;
  const stride = src.width * 3;
  for (let y = y0; y < y1; y++) {
    const n = count[y] as number;
    const w0 = y * maxTaps;
    const row0 = (first[y] as number) * stride;
    const o = y * stride;
    // Byte by byte across the row, the taps down the column: a few source rows stay in cache.
    for (let i = 0; i < stride; i++) {
      let sum = half;
      for (let k = 0, p = row0 + i; k < n; k++, p += stride)
        sum += (data[p] as number) * (weights[w0 + k] as number);
      out.data[o + i] = clip8(sum);
    }
  }
}

/** Multiply-adds between two yields: about 10 ms of work on one core. */
const macsPerStep = 4_000_000;

type Pass = (src: RgbImage, t: Taps, out: RgbImage, y0: number, y1: number) => void;

/** One pass in bands of output rows, yielding between bands. */
function* bands(pass: Pass, src: RgbImage, t: Taps, out: RgbImage, macsPerRow: number) {
  const rowsPerStep = Math.max(1, Math.floor(macsPerStep / macsPerRow));
  for (let y = 0; y < out.height; y += rowsPerStep) {
    pass(src, t, out, y, Math.min(out.height, y + rowsPerStep));
    yield;
  }
}

/** The two passes of PIL's resize, in steps to spread over event-loop turns. */
function* resizeSteps(src: RgbImage, width: number, height: number): Generator<void, RgbImage> {
  let image = src;
  if (width !== image.width) {
    const t = taps(image.width, width);
    const out = { width, height: image.height, data: new Uint8Array(width * image.height * 3) };
    yield* bands(rowsPass, image, t, out, width * 3 * t.maxTaps);
    image = out;
  }
  if (height !== image.height) {
    const t = taps(image.height, height);
    const out = { width: image.width, height, data: new Uint8Array(image.width * height * 3) };
    yield* bands(columnsPass, image, t, out, image.width * 3 * t.maxTaps);
    image = out;
  }
  return image;
}

/**
 * Resizes like PIL's Image.resize((width, height), Image.BICUBIC) on an RGB image, giving the event
 * loop a turn every ~10 ms of work (a large image takes hundreds of milliseconds on one core).
 */
export async function resizeBicubic(src: RgbImage, width: number, height: number): Promise<RgbImage> {
  const steps = resizeSteps(src, width, height);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
