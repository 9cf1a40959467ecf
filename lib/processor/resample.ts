/**
 * PIL's bicubic resize, reproduced: the official processor resizes with PIL (`Image.resize(...,
 * BICUBIC)`, antialiased: the filter widens by the downscale factor), horizontal pass first, each pass
 * rounded to 8 bits. sharp's kernels differ enough to miss the golden tiles, so the two separable
 * passes run here over sharp's decoded RGB pixels.
 */

/** An 8-bit RGB image, rows top to bottom, pixels interleaved. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array; // [height][width][3]
}

/** PIL's bicubic kernel (a = -0.5). */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

interface Taps {
  first: Int32Array; // first input index per output index
  count: Int32Array;
  weights: Float64Array; // [out][maxTaps]
  maxTaps: number;
}

/** Per output pixel, the input pixels and normalised weights, as PIL's precompute_coeffs does. */
function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  for (let x = 0; x < outSize; x++) {
    const center = (x + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const w = bicubic((i - center + 0.5) / filterScale);
      weights[x * maxTaps + i - lo] = w;
      sum += w;
    }
    if (sum !== 0) for (let i = 0; i < hi - lo; i++) (weights[x * maxTaps + i] as number) /= sum;
    first[x] = lo;
    count[x] = hi - lo;
  }
  return { first, count, weights, maxTaps };
}

const clamp8 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

function resizeRows(src: RgbImage, width: number): RgbImage {
  if (width === src.width) return src;
  const t = taps(src.width, width);
  const out = new Uint8Array(width * src.height * 3);
  for (let y = 0; y < src.height; y++) {
    const row = y * src.width * 3;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const base = x * t.maxTaps;
      let p = row + (t.first[x] as number) * 3;
      for (let k = 0; k < (t.count[x] as number); k++, p += 3) {
        const w = t.weights[base + k] as number;
        r += (src.data[p] as number) * w;
        g += (src.data[p + 1] as number) * w;
        b += (src.data[p + 2] as number) * w;
      }
      const o = (y * width + x) * 3;
      out[o] = clamp8(r);
      out[o + 1] = clamp8(g);
      out[o + 2] = clamp8(b);
    }
  }
  return { width, height: src.height, data: out };
}

function resizeColumns(src: RgbImage, height: number): RgbImage {
  if (height === src.height) return src;
  const t = taps(src.height, height);
  const stride = src.width * 3;
  const out = new Uint8Array(src.width * height * 3);
  const acc = new Float64Array(stride);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    const base = y * t.maxTaps;
    for (let k = 0; k < (t.count[y] as number); k++) {
      const w = t.weights[base + k] as number;
      const row = ((t.first[y] as number) + k) * stride;
      for (let i = 0; i < stride; i++) (acc[i] as number) += (src.data[row + i] as number) * w;
    }
    const o = y * stride;
    for (let i = 0; i < stride; i++) out[o + i] = clamp8(acc[i] as number);
  }
  return { width: src.width, height, data: out };
}

/** Resizes like PIL's Image.resize((width, height), Image.BICUBIC). */
export function resizeBicubic(src: RgbImage, width: number, height: number): RgbImage {
  return resizeColumns(resizeRows(src, width), height);
}
