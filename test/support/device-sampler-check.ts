/**
 * The GPU sampler against the CPU sampler's distribution (itself tested against a JS reference):
 * for every sampling case, draws made on the device stay among the kept ids, follow their
 * probabilities (five binomial standard deviations), report their log-probabilities, and repeat
 * for a seed. Free of vitest so the GPU machine runs it as a plain script too.
 */
import { nativeAddon } from '../../lib/engine/addon.js';
import type { CheckLine } from './bf16-golden-check.js';
import { cases, none, randomLogits } from './sampler-cases.js';

const draws = 20_000;

export function checkDeviceSampler(): CheckLine[] {
  const addon = nativeAddon();
  const lines: CheckLine[] = [];
  const all = [
    ...cases.map((c) => ({ ...c, logits: undefined as Float32Array | undefined })),
    // A full Tiny-sized vocabulary: the kernel strides over it with every thread.
    {
      name: 'top-p over 129280 ids',
      options: { temperature: 1, topP: 0.5, seed: 9 },
      seen: none,
      logits: randomLogits(129280, 3),
    },
  ];
  for (const { name, options, seen, logits: own } of all) {
    const logits = own ?? randomLogits(2000, 7);
    const expected = addon.probeSampler(logits, options, seen, 0);
    const got = addon.probeSampler(logits, options, seen, draws, { device: 'cuda' });
    const again = addon.probeSampler(logits, options, seen, 200, { device: 'cuda' });
    const probability = new Map<number, number>();
    expected.ids.forEach((id, i) => {
      probability.set(id, expected.probs[i] as number);
    });
    const counts = new Map<number, number>();
    let outside = 0;
    let worstLogprob = 0;
    got.draws.forEach((id, i) => {
      counts.set(id, (counts.get(id) ?? 0) + 1);
      const p = probability.get(id);
      if (p === undefined) outside++;
      else if (options.temperature)
        worstLogprob = Math.max(worstLogprob, Math.abs((got.logprobs[i] as number) - Math.log(p)));
    });
    let worstSigmas = 0;
    for (const [id, p] of probability) {
      const frequency = (counts.get(id) ?? 0) / draws;
      const sigma = Math.sqrt((p * (1 - p)) / draws) + 1e-4;
      worstSigmas = Math.max(worstSigmas, Math.abs(frequency - p) / sigma);
    }
    const repeats = again.draws.every((id, i) => id === got.draws[i]);
    lines.push({ where: name, check: 'draws outside the kept ids', value: outside, limit: 0 });
    lines.push({
      where: name,
      check: 'frequency off its probability (sigmas)',
      value: worstSigmas,
      limit: 5,
    });
    lines.push({ where: name, check: 'logprob error', value: worstLogprob, limit: 1e-3 });
    lines.push({ where: name, check: 'seeded draws differ on repeat', value: repeats ? 0 : 1, limit: 0 });
  }
  return lines;
}
