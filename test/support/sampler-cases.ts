/** Sampling cases shared by the CPU sampler test and the GPU sampler check. */
import type { SamplerProbeOptions } from '../../lib/engine/addon.js';

/** Deterministic logits: a linear congruential generator mapped to [-8, 8). */
export function randomLogits(vocab: number, seed: number): Float32Array {
  const logits = new Float32Array(vocab);
  let state = seed >>> 0;
  for (let i = 0; i < vocab; ++i) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    logits[i] = (state / 2 ** 32) * 16 - 8;
  }
  return logits;
}

export const vocab = 2000;
export const logits = randomLogits(vocab, 7);
// Seen tokens: the current argmax (positive logit) and a few with negative logits.
export const argmax = logits.indexOf(Math.max(...logits));
const negatives = [...logits.keys()].filter((i) => (logits[i] as number) < -2).slice(0, 5);
export const seen = Int32Array.from([argmax, ...negatives, argmax]);
export const none = new Int32Array(0);

export const cases: { name: string; options: SamplerProbeOptions; seen: Int32Array }[] = [
  { name: 'greedy', options: {}, seen: none },
  { name: 'greedy with a repetition penalty', options: { repetitionPenalty: 1.8 }, seen },
  { name: 'temperature', options: { temperature: 0.7, seed: 1 }, seen: none },
  { name: 'top-k', options: { temperature: 1.3, topK: 40, seed: 2 }, seen: none },
  { name: 'top-p', options: { temperature: 1, topP: 0.9, seed: 3 }, seen: none },
  { name: 'min-p', options: { temperature: 0.8, minP: 0.05, seed: 4 }, seen: none },
  {
    name: 'everything at once',
    options: { temperature: 0.6, topK: 200, topP: 0.8, minP: 0.01, repetitionPenalty: 1.3, seed: 5 },
    seen,
  },
];
