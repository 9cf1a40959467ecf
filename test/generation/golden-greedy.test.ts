/**
 * model.generate on every tiny golden conversation (golden tiny model, fixture tokenizer, CPU) picks the
 * official greedy tokens wherever the reference's top-2 margin allows, and streamed chunks join to the
 * same text; several chats at once give each the same output as alone, also when a tiny step
 * budget cuts every prompt into many chunks computed between other chats' decode steps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../lib/index.js';
import { caseNames, conversationOf, type GoldenCase, goldenCase, goldenPath } from '../support/golden.js';

const greedyMarginFloor = 1e-3;

/** The tokens the reference's margins let us compare: up to the first near-tie. */
function comparable(golden: GoldenCase): number {
  const firstTie = golden.greedy_top2_margins.findIndex((m) => m <= greedyMarginFloor);
  return firstTie < 0 ? golden.greedy_tokens.length : firstTie;
}

let model: Model;
beforeAll(async () => {
  model = await loadModel(goldenPath('models', 'tiny'), {
    device: 'cpu',
    tokenizer: goldenPath('tokenizer', 'tokenizer.json'),
    cacheTokens: 16384,
  });
});
afterAll(() => model.close());

describe('generate on the tiny golden conversations', () => {
  it.each(caseNames)('%s: the official greedy tokens, streamed and whole', async (name) => {
    const golden = goldenCase('tiny', name);
    const messages = conversationOf(golden);
    const maxTokens = golden.greedy_tokens.length;
    const result = await model.generate(messages, { maxTokens });
    const n = comparable(golden);
    expect(n).toBeGreaterThan(0);
    const eos = golden.greedy_tokens.indexOf(1);
    const expected = golden.greedy_tokens.slice(0, eos >= 0 ? Math.min(n, eos) : n);
    expect(result.tokenIds.slice(0, expected.length)).toEqual(expected);
    expect(result.usage.promptTokens).toBe(golden.input_ids.length);
    expect(result.usage.imageTokens).toBe(golden.num_image_tokens.reduce((a, b) => a + b, 0));
    expect(result.usage.completionTokens).toBe(result.tokenIds.length);

    let streamed = '';
    const ids: number[] = [];
    let finish: string | undefined;
    for await (const chunk of model.chat(messages, { maxTokens })) {
      streamed += chunk.text;
      ids.push(...chunk.tokenIds);
      finish = chunk.finishReason ?? finish;
    }
    expect(ids).toEqual(result.tokenIds);
    expect(streamed).toBe(result.text);
    expect(finish).toBe(result.finishReason);
  });

  it('runs all conversations at once with the same output as each alone', async () => {
    const goldens = caseNames.map((name) => goldenCase('tiny', name));
    const alone = [];
    for (const g of goldens) alone.push(await model.generate(conversationOf(g), { maxTokens: 12 }));
    const together = await Promise.all(
      goldens.map((g) => model.generate(conversationOf(g), { maxTokens: 12 })),
    );
    expect(together.map((r) => r.tokenIds)).toEqual(alone.map((r) => r.tokenIds));
    expect(model.stats().maxBatch).toBeGreaterThan(1);
  });

  it('chunked prefill (a 37-token step budget) gives every conversation the same tokens', async () => {
    const chunked = await loadModel(goldenPath('models', 'tiny'), {
      device: 'cpu',
      tokenizer: goldenPath('tokenizer', 'tokenizer.json'),
      cacheTokens: 16384,
      stepTokens: 37,
    });
    try {
      const goldens = caseNames.map((name) => goldenCase('tiny', name));
      const alone = [];
      for (const g of goldens) alone.push(await model.generate(conversationOf(g), { maxTokens: 12 }));
      const together = await Promise.all(
        goldens.map((g) => chunked.generate(conversationOf(g), { maxTokens: 12 })),
      );
      expect(together.map((r) => r.tokenIds)).toEqual(alone.map((r) => r.tokenIds));
      const prompts = goldens.reduce((sum, g) => sum + g.input_ids.length, 0);
      const stats = chunked.stats();
      // Every prompt took several chunks (computed while earlier chats decoded).
      expect(stats.promptChunks).toBeGreaterThanOrEqual(Math.ceil(prompts / 37));
    } finally {
      chunked.close();
    }
  });
});
