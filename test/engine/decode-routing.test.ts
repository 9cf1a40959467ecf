/**
 * Decode with the routing captured (what the real-shape GPU check uses to tell bf16 error from a
 * token sent to other experts): each request's experts per MoE layer, the same logits as a plain
 * decode, and the same experts for a sequence whether it decodes alone or beside others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineModel } from '../../lib/engine/native-model.js';
import { goldenCase, goldenPath, goldenPrompt } from '../support/golden.js';

let model: EngineModel;
beforeAll(async () => {
  model = await EngineModel.load(goldenPath('models', 'small'), { cacheTokens: 8192 });
});
afterAll(() => model.close());

async function sequencesAt(names: string[]): Promise<number[]> {
  const sequences: number[] = [];
  for (const name of names) {
    const sequence = model.createSequence();
    await model.prefill(sequence, goldenPrompt(goldenCase('small', name)));
    sequences.push(sequence);
  }
  return sequences;
}

describe('decode with routing', () => {
  it('gives each request its experts per MoE layer, the plain logits, and the experts it gets alone', async () => {
    const language = model.checkpoint.modelConfig.language;
    const topK = language.numExpertsPerTok;
    const moeLayers = language.numHiddenLayers - language.firstKDenseReplace;
    const names = ['text', 'one-image', 'wide'];
    const tokens = [7, 11, 13];
    const [plain, captured, alone] = [
      await sequencesAt(names),
      await sequencesAt(names),
      await sequencesAt(names),
    ];
    const logits = await model.decode(plain.map((sequence, i) => ({ sequence, token: tokens[i] as number })));
    const batched = await model.decodeWithRouting(
      captured.map((sequence, i) => ({ sequence, token: tokens[i] as number })),
    );
    expect(batched.logits).toEqual(logits);
    expect(batched.experts.length).toBe(moeLayers * names.length * topK);
    for (let row = 0; row < names.length; row++) {
      const single = await model.decodeWithRouting([
        { sequence: alone[row] as number, token: tokens[row] as number },
      ]);
      for (let layer = 0; layer < moeLayers; layer++) {
        const inBatch = batched.experts.subarray(
          (layer * names.length + row) * topK,
          (layer * names.length + row + 1) * topK,
        );
        const chosen = [...inBatch];
        expect(new Set(chosen).size).toBe(topK);
        expect(chosen).toEqual([...chosen].sort((a, b) => a - b));
        expect(chosen.every((e) => e >= 0 && e < language.nRoutedExperts)).toBe(true);
        expect(inBatch).toEqual(single.experts.subarray(layer * topK, (layer + 1) * topK));
      }
    }
    for (const sequence of [...plain, ...captured, ...alone]) model.freeSequence(sequence);
  });
});
