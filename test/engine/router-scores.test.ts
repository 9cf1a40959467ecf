/**
 * The router scores the CPU backend captures beside the routed experts (what the real-shape GPU
 * check compares at a routing flip), on the golden models: softmax scores for tiny and small,
 * sigmoid plus e_score_correction_bias for base (noaux_tc over 4 groups keeping 2). The experts each
 * backend chose must be SPEC 6's top-k of the scores it captured, in prefill and for every row of a
 * batched decode, and a row's scores in a batch must be the ones it gets decoding alone.
 */
import { open } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineModel } from '../../lib/engine/native-model.js';
import { goldenCase, goldenPath, goldenPrompt, type ModelVariant, relativeError } from '../support/golden.js';
import { type RouterSelection, topKOfScores } from '../support/routing-judge.js';

const models = new Map<ModelVariant, EngineModel>();
beforeAll(async () => {
  for (const variant of ['tiny', 'small', 'base'] as const)
    models.set(variant, await EngineModel.load(goldenPath('models', variant), { cacheTokens: 8192 }));
});
afterAll(() => {
  for (const model of models.values()) model.close();
});

function selectionOf(model: EngineModel): RouterSelection {
  const language = model.checkpoint.modelConfig.language;
  return {
    topK: language.numExpertsPerTok,
    method: language.topkMethod,
    groups: language.nGroup,
    topkGroups: language.topkGroup,
  };
}

/** A float32 or bf16 tensor of the checkpoint, widened. */
async function readTensor(model: EngineModel, name: string): Promise<Float32Array> {
  const entry = model.checkpoint.tensors.find((t) => t.name === name);
  if (!entry) throw new Error(`no tensor ${name}`);
  const file = await open(model.checkpoint.files[entry.file] as string);
  try {
    const bytes = Buffer.alloc(entry.byteLength);
    await file.read(bytes, 0, entry.byteLength, entry.offset);
    if (entry.dtype === 'F32')
      return new Float32Array(bytes.buffer, bytes.byteOffset, entry.byteLength / 4).slice();
    if (entry.dtype !== 'BF16') throw new Error(`${name} is ${entry.dtype}`);
    const words = new Uint16Array(bytes.buffer, bytes.byteOffset, entry.byteLength / 2);
    return new Float32Array(Uint32Array.from(words, (w) => w << 16).buffer);
  } finally {
    await file.close();
  }
}

/**
 * Checks one captured step of `rows` rows: the layout, the scoring function's range (the bias
 * taken off first under noaux_tc) and the experts as the top-k of the scores.
 */
async function expectConsistent(
  model: EngineModel,
  experts: Int32Array,
  scores: Float32Array,
  rows: number,
): Promise<void> {
  const language = model.checkpoint.modelConfig.language;
  const selection = selectionOf(model);
  const width = language.nRoutedExperts;
  const moeLayers = language.numHiddenLayers - language.firstKDenseReplace;
  expect(scores.length).toBe(moeLayers * rows * width);
  expect(experts.length).toBe(moeLayers * rows * selection.topK);
  for (let layer = 0; layer < moeLayers; layer++) {
    const bias =
      language.topkMethod === 'noaux_tc'
        ? await readTensor(
            model,
            `language.model.layers.${language.firstKDenseReplace + layer}.mlp.gate.e_score_correction_bias`,
          )
        : new Float32Array(width);
    for (let row = 0; row < rows; row++) {
      const at = (layer * rows + row) * width;
      const rowScores = scores.subarray(at, at + width);
      const plain = Array.from(rowScores, (v, e) => v - (bias[e] as number));
      expect(plain.every((v) => v > 0 && v < 1)).toBe(true);
      if (language.scoringFunc === 'softmax') expect(plain.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const chosen = [
        ...experts.subarray((layer * rows + row) * selection.topK, (layer * rows + row + 1) * selection.topK),
      ];
      expect(chosen).toEqual(topKOfScores(rowScores, selection));
    }
  }
}

describe.each(['tiny', 'small', 'base'] as const)('%s: captured router scores', (variant) => {
  it('are the scores the experts were chosen by, in prefill and batched decode', async () => {
    const model = models.get(variant) as EngineModel;
    const names = ['text', 'one-image', 'wide'];
    const sequences: number[] = [];
    const alone: number[] = [];
    try {
      for (const name of names) {
        const prompt = goldenPrompt(goldenCase(variant, name));
        const sequence = model.createSequence();
        sequences.push(sequence);
        const prefill = await model.prefill(sequence, prompt, { capture: true });
        await expectConsistent(model, prefill.experts as Int32Array, prefill.routerScores as Float32Array, 1);
        const single = model.createSequence();
        alone.push(single);
        await model.prefill(single, prompt);
      }
      const tokens = [7, 11, 13];
      const batched = await model.decodeWithRouting(
        sequences.map((sequence, i) => ({ sequence, token: tokens[i] as number })),
      );
      await expectConsistent(model, batched.experts, batched.routerScores, names.length);
      const width = model.checkpoint.modelConfig.language.nRoutedExperts;
      const moeLayers = batched.routerScores.length / (names.length * width);
      for (let row = 0; row < names.length; row++) {
        const single = await model.decodeWithRouting([
          { sequence: alone[row] as number, token: tokens[row] as number },
        ]);
        for (let layer = 0; layer < moeLayers; layer++) {
          const at = (layer * names.length + row) * width;
          const inBatch = batched.routerScores.subarray(at, at + width);
          const own = single.routerScores.subarray(layer * width, (layer + 1) * width);
          expect(relativeError(inBatch, own)).toBeLessThan(1e-5);
        }
      }
    } finally {
      for (const sequence of [...sequences, ...alone]) model.freeSequence(sequence);
    }
  });
});
