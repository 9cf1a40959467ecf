/**
 * The CPU GEMM kernels (native/backend/cpu/matmul*.cc) against an fp64 reference, on random and edge
 * shapes: odd K (the bf16 kernel's zero-padded last pair), M on both sides of the decode/packed-panel
 * switch and not a multiple of the 6-row tile, N across the 64-row panels and the parallel split.
 *
 * Error bounds, derived rather than tuned. With S = sum_i |x_i w_i| and u = 2^-24 (fp32 unit roundoff),
 * gamma(n) = n u / (1 - n u) bounds n successive fp32 roundings (Higham, ch. 3):
 * - fp32 precision: the weights widen exactly, so y is an fp32 sum of K products plus bias and
 *   the accumulated y: |err| <= gamma(K + 2) (S + |b| + |y0|).
 * - bf16 precision: x_i is first rounded to bf16 to nearest even (8 significant bits):
 *   |bf16(x_i) - x_i| <= 2^-8 |x_i|. A product of two bf16 values is exact in fp32, so what remains
 *   is the fp32 summation: |err| <= 2^-8 S + gamma(K + 2) ((1 + 2^-8) S + |b| + |y0|).
 *   Against a reference that rounds x to bf16 itself, only the summation term is left, which
 *   checks the rounding is to nearest even (truncation would miss by ~2^-8 |x_i w_i| per element).
 * - matmulF32 (attention's fp32 operands; no bias, nothing accumulated): in fp32 the fp32 bound
 *   with b = y0 = 0; in bf16 both x and w are rounded, |bf16(x) bf16(w) - x w| <= (2 2^-8 + 2^-16)
 *   |x w|, so |err| <= (2 2^-8 + 2^-16) S + gamma(K + 2) (1 + 2^-8)^2 S.
 */

import { describe, expect, it } from 'vitest';
import { seededRandom as random } from '../../bench/support/prompts.js';
import { backends } from '../../lib/backends.js';
import { type CpuMatmulProbe, nativeAddon } from '../../lib/engine/addon.js';
import type { CpuPrecision } from '../../lib/engine/native-types.js';
import { bf16Bits } from '../../lib/synth/random.js';

const cpu = backends().find((b) => b.name === 'cpu');
const hasBf16 = cpu?.name === 'cpu' && cpu.kernels.bf16 === 'avx512-bf16';

const u = 2 ** -24;
const gamma = (n: number) => (n * u) / (1 - n * u);
const bf16Unit = 2 ** -8;

const bf16Value = (bits: number) => new Float32Array(new Uint32Array([bits << 16]).buffer)[0] as number;

interface Problem {
  probe: CpuMatmulProbe & { bias: Float32Array; y: Float32Array };
  weights: Float64Array;
}

/** Values of mixed sign and magnitude (a few orders), as activations and weights have. */
function problem(M: number, K: number, N: number, seed: number): Problem {
  const next = random(seed);
  const value = () => (next() - 0.5) * 2 ** Math.floor(next() * 6 - 3);
  const x = Float32Array.from({ length: M * K }, value);
  const w = Uint16Array.from({ length: N * K }, () => bf16Bits(value()));
  const weights = Float64Array.from(w, bf16Value);
  const bias = Float32Array.from({ length: N }, value);
  const y = Float32Array.from({ length: M * N }, value);
  return { probe: { x, w, M, K, N, bias, y }, weights };
}

/** Largest |got - reference| / bound over y, with x optionally rounded to bf16 in the reference. */
function worstRatio(
  { probe, weights }: Problem,
  got: Float32Array,
  roundX: boolean,
  bound: (S: number, rest: number) => number,
): number {
  const { x, M, K, N, bias, y } = probe;
  const xs = roundX ? Float64Array.from(x, (v) => bf16Value(bf16Bits(v))) : Float64Array.from(x);
  let worst = 0;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      let S = 0;
      for (let k = 0; k < K; k++) {
        const product = (xs[m * K + k] as number) * (weights[n * K + k] as number);
        sum += product;
        S += Math.abs(product);
      }
      const b = bias[n] as number;
      const y0 = y[m * N + n] as number;
      const err = Math.abs((got[m * N + n] as number) - (sum + b + y0));
      worst = Math.max(worst, err / bound(S, Math.abs(b) + Math.abs(y0)));
    }
  }
  return worst;
}

const fp32Bound = (K: number) => (S: number, rest: number) => gamma(K + 2) * (S + rest);
const bothRoundedBound = (K: number) => (S: number, rest: number) =>
  (2 * bf16Unit + bf16Unit ** 2) * S + gamma(K + 2) * ((1 + bf16Unit) ** 2 * S + rest);
const bf16Bound = (K: number) => (S: number, rest: number) =>
  bf16Unit * S + gamma(K + 2) * ((1 + bf16Unit) * S + rest);

// Edge shapes: M = 1..4 take the decode path, 5..16 the 4 x 4 blocks (7 and 13 end in a partial
// block), 17 and up the packed panels (65 and 97 end in a partial 6-row tile); K = 1, 31, 33, 65,
// 1153 are odd; N = 1, 63, 65, 70, 130 end panels and 4-row groups part-way.
const edgeShapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 2, 17],
  [2, 31, 63],
  [3, 33, 65],
  [4, 65, 130],
  [5, 32, 64],
  [6, 1, 7],
  [7, 33, 65],
  [13, 1153, 130],
  [64, 129, 200],
  [65, 33, 70],
  [97, 1153, 130],
];
const randomShapes: [number, number, number][] = (() => {
  const next = random(28);
  const pick = (most: number) => 1 + Math.floor(next() * most);
  return Array.from({ length: 12 }, () => [pick(120), pick(300), pick(300)] as [number, number, number]);
})();
const shapes = [...edgeShapes, ...randomShapes];

describe('CPU GEMM, fp32 precision, against fp64', () => {
  it.each(shapes)('M=%i K=%i N=%i', (M, K, N) => {
    const p = problem(M, K, N, M * 1_000_003 + K * 1009 + N);
    const { y } = nativeAddon().probeCpuMatmul({ ...p.probe, precision: 'fp32' });
    expect(worstRatio(p, y, false, fp32Bound(K))).toBeLessThanOrEqual(1);
  });
});

describe.skipIf(!hasBf16)('CPU GEMM, bf16 precision (AVX-512 BF16), against fp64', () => {
  it.each(shapes)('M=%i K=%i N=%i', (M, K, N) => {
    const p = problem(M, K, N, M * 1_000_003 + K * 1009 + N);
    for (const threads of [1, 2]) {
      const { y } = nativeAddon().probeCpuMatmul({ ...p.probe, precision: 'bf16', threads });
      // x rounded to nearest even, then only fp32 summation error...
      expect(worstRatio(p, y, true, fp32Bound(K)), `threads ${threads}, x rounded`).toBeLessThanOrEqual(1);
      // ...which against the exact inputs is within the bf16 input-rounding bound.
      expect(worstRatio(p, y, false, bf16Bound(K)), `threads ${threads}`).toBeLessThanOrEqual(1);
    }
  });

  it('differs from the fp32 kernels (x is really rounded)', () => {
    const p = problem(5, 257, 70, 7);
    const fp32 = nativeAddon().probeCpuMatmul({ ...p.probe, precision: 'fp32' }).y;
    const bf16 = nativeAddon().probeCpuMatmul({ ...p.probe, precision: 'bf16' }).y;
    expect(worstRatio(p, fp32, true, fp32Bound(257))).toBeGreaterThan(1);
    expect(worstRatio(p, bf16, true, fp32Bound(257))).toBeLessThanOrEqual(1);
  });

  it('overwrites y when not accumulating, without bias too', () => {
    const p = problem(9, 45, 33, 11);
    const { x, w, M, K, N } = p.probe;
    const { y } = nativeAddon().probeCpuMatmul({ x, w, M, K, N, precision: 'bf16' });
    const zero = { ...p, probe: { ...p.probe, bias: new Float32Array(N), y: new Float32Array(M * N) } };
    expect(worstRatio(zero, y, true, fp32Bound(K))).toBeLessThanOrEqual(1);
  });
});

/**
 * matmulF32: an fp32 right-hand side (no bias, nothing accumulated), against fp64 with both operands
 * as given, or both rounded to bf16 in the reference (`roundBoth`).
 */
function f32Ratio(
  M: number,
  K: number,
  N: number,
  seed: number,
  precision: CpuPrecision,
  roundBoth: boolean,
): number {
  const next = random(seed);
  const value = () => (next() - 0.5) * 2 ** Math.floor(next() * 6 - 3);
  const x = Float32Array.from({ length: M * K }, value);
  const w = Float32Array.from({ length: N * K }, value);
  const { y } = nativeAddon().probeCpuMatmul({ x, w, M, K, N, precision });
  const round = (v: number) => bf16Value(bf16Bits(v));
  const weights = Float64Array.from(w, roundBoth ? round : (v) => v);
  const zeros = { bias: new Float32Array(N), y: new Float32Array(M * N) };
  const bound = precision === 'fp32' || roundBoth ? fp32Bound(K) : bothRoundedBound(K);
  return worstRatio({ probe: { x, w, M, K, N, ...zeros }, weights }, y, roundBoth, bound);
}

// Attention's shapes at toy size: Q K^T (K = head dim) and P V (K = tokens, odd).
const f32Shapes: [number, number, number][] = [
  [1, 72, 1],
  [29, 72, 29],
  [29, 29, 72],
  [5, 33, 7],
  [70, 3, 65],
];

describe('CPU GEMM with an fp32 right-hand side (attention), against fp64', () => {
  it.each(f32Shapes)('fp32: M=%i K=%i N=%i', (M, K, N) => {
    expect(f32Ratio(M, K, N, M + 7 * K + 31 * N, 'fp32', false)).toBeLessThanOrEqual(1);
  });
  it.skipIf(!hasBf16).each(f32Shapes)('bf16: M=%i K=%i N=%i', (M, K, N) => {
    expect(f32Ratio(M, K, N, M + 7 * K + 31 * N, 'bf16', true), 'both rounded').toBeLessThanOrEqual(1);
    expect(f32Ratio(M, K, N, M + 7 * K + 31 * N, 'bf16', false)).toBeLessThanOrEqual(1);
  });
});
