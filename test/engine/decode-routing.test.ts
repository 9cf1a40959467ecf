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

  it('routes as told with routeAs (the reference following another backend), still reporting its own choice', async () => {
    const language = model.checkpoint.modelConfig.language;
    const topK = language.numExpertsPerTok;
    const names = ['text', 'one-image', 'wide'];
    const requests = (sequences: number[]) =>
      sequences.map((sequence, i) => ({ sequence, token: [7, 11, 13][i] as number }));
    const own = await model.decodeWithRouting(requests(await sequencesAt(names)));
    // Its own choice given back: the very same step.
    const same = await model.decodeWithRouting(requests(await sequencesAt(names)), { routeAs: own.experts });
    expect(same.logits).toEqual(own.logits);
    expect(same.experts).toEqual(own.experts);
    // Row 1's first MoE layer sent to one expert it did not choose: that row's logits move, the
    // others' do not, and the captured experts are still the router's own choice.
    const other = own.experts.slice();
    const chosen = new Set(other.subarray(topK, 2 * topK));
    const outsider = Array.from({ length: language.nRoutedExperts }, (_, e) => e).find((e) => !chosen.has(e));
    other[topK] = outsider as number;
    const moved = await model.decodeWithRouting(requests(await sequencesAt(names)), { routeAs: other });
    expect(moved.experts).toEqual(own.experts);
    const vocab = own.logits.length / names.length;
    const row = (logits: Float32Array, r: number) => logits.subarray(r * vocab, (r + 1) * vocab);
    expect(row(moved.logits, 0)).toEqual(row(own.logits, 0));
    expect(row(moved.logits, 2)).toEqual(row(own.logits, 2));
    expect(row(moved.logits, 1)).not.toEqual(row(own.logits, 1));
    // A wrong shape or an expert out of range is refused.
    await expect(
      model.decodeWithRouting(requests(await sequencesAt(names)), { routeAs: own.experts.subarray(1) }),
    ).rejects.toThrow(/routeAs/);
    const outOfRange = own.experts.slice();
    outOfRange[0] = language.nRoutedExperts;
    await expect(
      model.decodeWithRouting(requests(await sequencesAt(names)), { routeAs: outOfRange }),
    ).rejects.toThrow(/forced expert out of range/);
  });
});
