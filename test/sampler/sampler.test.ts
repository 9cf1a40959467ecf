/**
 * The native sampler against a plain JS implementation of the same math, as Hugging Face defines
 * it: repetition penalty on the logits of seen tokens (divided when > 0, multiplied otherwise), then
 * temperature, top-k, top-p (the smallest most-likely prefix whose mass reaches topP) and min-p
 * (drop tokens under minP x the top probability), renormalised; seeded draws follow that distribution.
 */
import { describe, expect, it } from 'vitest';
import { nativeAddon, type SamplerProbeOptions } from '../../lib/engine/addon.js';
import { fromNativeError, InvalidArgumentError } from '../../lib/errors.js';
import { argmax, cases, logits, none, seen } from '../support/sampler-cases.js';

/** The reference: float32 where the native code rounds to float32, float64 elsewhere. */
function referenceDistribution(
  logitsIn: Float32Array,
  options: SamplerProbeOptions,
  seen: Int32Array,
): { ids: number[]; probs: number[] } {
  const logits = Float32Array.from(logitsIn);
  const penalty = Math.fround(options.repetitionPenalty ?? 1);
  if (penalty !== 1) {
    for (const id of new Set(seen)) {
      const v = logits[id] as number;
      logits[id] = v < 0 ? v * penalty : v / penalty;
    }
  }
  const temperature = options.temperature ?? 0;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < logits.length; ++i) if ((logits[i] as number) > (logits[best] as number)) best = i;
    return { ids: [best], probs: [1] };
  }
  const inverse = Math.fround(1 / Math.fround(temperature));
  for (let i = 0; i < logits.length; ++i) logits[i] = (logits[i] as number) * inverse;
  let order = [...logits.keys()].sort((a, b) => (logits[b] as number) - (logits[a] as number));
  if (options.topK) order = order.slice(0, options.topK);
  const top = logits[order[0] as number] as number;
  let probs = order.map((id) => Math.exp(Math.fround((logits[id] as number) - top)));
  const total = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / total);
  let count = probs.length;
  const topP = options.topP ?? 1;
  if (topP < 1) {
    let mass = 0;
    let i = 0;
    for (; i < count; ++i) {
      mass += probs[i] as number;
      if (mass >= Math.fround(topP)) break;
    }
    count = Math.min(count, i + 1);
  }
  const minP = options.minP ?? 0;
  if (minP > 0) {
    const floor = Math.fround(minP) * (probs[0] as number);
    let i = 1;
    while (i < count && (probs[i] as number) >= floor) ++i;
    count = i;
  }
  const kept = probs.slice(0, count);
  const keptMass = kept.reduce((a, b) => a + b, 0);
  return { ids: order.slice(0, count), probs: kept.map((p) => p / keptMass) };
}

describe('native sampler', () => {
  const addon = nativeAddon();

  for (const { name, options, seen: seenIds } of cases) {
    it(`${name}: the same distribution as the JS reference`, () => {
      const expected = referenceDistribution(logits, options, seenIds);
      const got = addon.probeSampler(logits, options, seenIds, 0);
      expect([...got.ids]).toEqual(expected.ids);
      for (let i = 0; i < expected.probs.length; ++i) {
        expect(Math.abs((got.probs[i] as number) - (expected.probs[i] as number))).toBeLessThan(1e-6);
      }
    });
  }

  it('the repetition penalty moves the greedy choice off a seen token', () => {
    const plain = addon.probeSampler(logits, {}, none, 0);
    const penalised = addon.probeSampler(logits, { repetitionPenalty: 1.8 }, seen, 0);
    expect(plain.ids[0]).toBe(argmax);
    expect(penalised.ids[0]).not.toBe(argmax);
  });

  it('seeded draws repeat, stay among the kept ids, and follow their probabilities', () => {
    const options = { temperature: 1, topK: 8, seed: 42 };
    const draws = 40_000;
    const a = addon.probeSampler(logits, options, none, draws);
    const b = addon.probeSampler(logits, options, none, draws);
    expect([...a.draws]).toEqual([...b.draws]);
    const other = addon.probeSampler(logits, { ...options, seed: 43 }, none, draws);
    expect([...other.draws]).not.toEqual([...a.draws]);

    const counts = new Map<number, number>();
    for (const id of a.draws) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const id of counts.keys()) expect([...a.ids]).toContain(id);
    a.ids.forEach((id, i) => {
      const p = a.probs[i] as number;
      const frequency = (counts.get(id) ?? 0) / draws;
      // Five standard deviations of a binomial proportion.
      expect(Math.abs(frequency - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / draws) + 1e-4);
    });
  });

  it('refuses invalid options with a typed error', () => {
    const bad: SamplerProbeOptions[] = [
      { temperature: -1 },
      { topK: -1 },
      { topP: 0 },
      { topP: 1.5 },
      { minP: 1 },
      { repetitionPenalty: 0 },
    ];
    for (const options of bad) {
      let caught: unknown;
      try {
        addon.probeSampler(logits, options, none, 1);
      } catch (error) {
        caught = error;
      }
      expect(fromNativeError(caught), JSON.stringify(options)).toBeInstanceOf(InvalidArgumentError);
    }
  });
});
