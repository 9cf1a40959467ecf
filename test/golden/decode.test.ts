/**
 * Incremental decoding through the paged KV cache against the official reference: the last prompt
 * positions fed one token at a time, then the golden greedy continuation, each step's top-16 logits
 * compared with the reference (which recomputed the whole sequence every step, without a cache).
 */
import { describe, expect, it } from 'vitest';
import type { EngineModel } from '../../lib/engine/native-model.js';
import {
  argmax,
  caseNames,
  decodeCasesBatched,
  goldenCase,
  goldenPrompt,
  modelVariants,
  relativeError,
  type TopK,
} from '../support/golden.js';
import { useGoldenModels } from '../support/golden-models.js';

const fp32Tolerance = 1e-4;
/** Below this gap between the two best logits a different greedy choice is no error (golden README). */
const greedyMarginFloor = 1e-3;

/** Room for all six cases of a variant at once (the batched test). */
const cacheTokens = 16384;

const models = useGoldenModels(cacheTokens);

function logsumexp(logits: Float32Array): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** Our top-16 ids are the reference's, and our logits at those ids and the logsumexp agree. */
function expectTopK(logits: Float32Array, expected: TopK, where: string): void {
  const ours = Array.from(logits.keys())
    .sort((a, b) => (logits[b] as number) - (logits[a] as number))
    .slice(0, expected.ids.length);
  expect(new Set(ours), where).toEqual(new Set(expected.ids));
  const values = expected.ids.map((id) => logits[id] as number);
  expect(relativeError(values, expected.values), where).toBeLessThan(fp32Tolerance);
  expect(Math.abs(logsumexp(logits) - expected.logsumexp) / Math.abs(expected.logsumexp), where).toBeLessThan(
    fp32Tolerance,
  );
}

describe.each(modelVariants)('%s model, cached decoding', (variant) => {
  it.each(caseNames)('%s: tail positions and greedy steps match the reference', async (name) => {
    const golden = goldenCase(variant, name);
    const model = models.get(variant) as EngineModel;
    const vocab = model.info().vocabSize;
    const first = golden.tail_positions[0] as number;
    const sequence = model.createSequence();
    try {
      // Prefill up to the first tail position, then feed the remaining prompt tokens one by one.
      let logits = (await model.prefill(sequence, goldenPrompt(golden, first + 1))).logits;
      expectTopK(logits, golden.tail_topk[0] as TopK, `${name} tail 0`);
      for (let i = 1; i < golden.tail_positions.length; i++) {
        const token = golden.input_ids[golden.tail_positions[i] as number] as number;
        logits = await model.decode([{ sequence, token }]);
        expect(logits.length).toBe(vocab);
        expectTopK(logits, golden.tail_topk[i] as TopK, `${name} tail ${i}`);
      }
      let greedyChecked = 0;
      for (let i = 0; i < golden.greedy_tokens.length; i++) {
        if ((golden.greedy_top2_margins[i] as number) > greedyMarginFloor) {
          expect(argmax(logits), `${name} greedy token ${i}`).toBe(golden.greedy_tokens[i]);
          greedyChecked++;
        }
        if (i === golden.greedy_step_topk.length) break;
        logits = await model.decode([{ sequence, token: golden.greedy_tokens[i] as number }]);
        expectTopK(logits, golden.greedy_step_topk[i] as TopK, `${name} greedy step ${i}`);
      }
      expect(greedyChecked).toBeGreaterThan(0);
    } finally {
      model.freeSequence(sequence);
    }
  });
});

describe.each(modelVariants)('%s model, batched decoding', (variant) => {
  it('decodes every case in one batched step each and still matches the reference', async () => {
    let rows = 0;
    await decodeCasesBatched(models.get(variant) as EngineModel, variant, (row, golden, step) => {
      expectTopK(row, golden.greedy_step_topk[step] as TopK, `${golden.name} batched step ${step}`);
      rows++;
    });
    expect(rows).toBeGreaterThan(0);
  });
});

describe.each(modelVariants)('%s model, greedy choice in the backend', (variant) => {
  it('decodeGreedy picks the argmax of the logits decode returns for the same state', async () => {
    const model = models.get(variant) as EngineModel;
    const golden = goldenCase(variant, 'one-image');
    const [a, b] = [model.createSequence(), model.createSequence()];
    try {
      await model.prefill(a, goldenPrompt(golden));
      await model.prefill(b, goldenPrompt(golden));
      for (const token of golden.greedy_tokens.slice(0, 4)) {
        const logits = await model.decode([{ sequence: a, token }]);
        const chosen = await model.decodeGreedy([{ sequence: b, token }]);
        expect([...chosen]).toEqual([argmax(logits)]);
      }
    } finally {
      model.freeSequence(a);
      model.freeSequence(b);
    }
  });
});
