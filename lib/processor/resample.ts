/**
 * PIL's bicubic resize, reproduced: the official processor resizes with PIL (`Image.resize(...,
 * BICUBIC)`, antialiased: the filter widens by the downscale factor), horizontal pass first. PIL
 * resizes 8-bit images in fixed point (weights scaled by 2^22 and rounded, sums rounded and clipped to
 * 8 bits after each pass); doing the same here gives PIL's bytes, not just close ones. sharp's kernels
 * differ enough to miss the golden tiles, so the two separable passes run here over sharp's decoded
 * RGB pixels.
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

// src: [h][w][3] -> [h][width][3]
function resizeRows(src: RgbImage, width: number): RgbImage {
  if (width === src.width) return src;
  const { first, count, weights, maxTaps } = taps(src.width, width);
  const data = src.data;
  const out = new Uint8Array(width * src.height * 3);
  let o = 0;
  for (let y = 0; y < src.height; y++) {
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
      out[o++] = clip8(r);
      out[o++] = clip8(g);
      out[o++] = clip8(b);
    }
  }
  return { width, height: src.height, data: out };
}

// src: [h][w][3] -> [height][w][3]
function resizeColumns(src: RgbImage, height: number): RgbImage {
  if (height === src.height) return src;
  const { first, count, weights, maxTaps } = taps(src.height, height);
  const data = src.data;
  const stride = src.width * 3;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const n = count[y] as number;
    const w0 = y * maxTaps;
    const row0 = (first[y] as number) * stride;
    const o = y * stride;
    // Byte by byte across the row, the taps down the column: a few source rows stay in cache.
    for (let i = 0; i < stride; i++) {
      let sum = half;
      for (let k = 0, p = row0 + i; k < n; k++, p += stride)
        sum += (data[p] as number) * (weights[w0 + k] as number);
      out[o + i] = clip8(sum);
    }
  }
  return { width: src.width, height, data: out };
}

/** Resizes like PIL's Image.resize((width, height), Image.BICUBIC) on an RGB image. */
export function resizeBicubic(src: RgbImage, width: number, height: number): RgbImage {
  return resizeColumns(resizeRows(src, width), height);
}
