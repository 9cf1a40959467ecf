/**
 * What Model hands back beyond the tokens, on the golden Small model: the README's first example in
 * its content-parts form, timings, grounding boxes in pixels of the prompt's image, showSpecialTokens,
 * the error when a request can never fit the KV cache, and generateBatch with onProgress.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ByteTokenizer,
  type ChatMessage,
  loadModel,
  type Model,
  type TextTokenizer,
  Vl2Error,
} from '../../lib/index.js';
import { goldenPath } from '../support/golden.js';

const modelDir = goldenPath('models', 'small');
const bytes = new ByteTokenizer(1024);
const image = goldenPath('images', 'synthetic-385x383.png');
let model: Model;

beforeAll(async () => {
  model = await loadModel(modelDir, { device: 'cpu', tokenizer: bytes, cacheTokens: 4096 });
});
afterAll(() => model.close());

/** A tokenizer that encodes as the byte tokenizer and decodes every id as `piece` (special when asked). */
function decodingAs(piece: string, special = false): TextTokenizer {
  return {
    encode: (text) => bytes.encode(text),
    decode: (ids, options) => (special && options?.skipSpecial ? '' : ids.map(() => piece).join('')),
    tokenId: (token) => bytes.tokenId(token),
    bosId: bytes.bosId,
    eosId: bytes.eosId,
    imageId: bytes.imageId,
    specialIds: special ? new Set(Array.from({ length: 1024 }, (_, i) => i)) : bytes.specialIds,
    tokenBytes: (size) => bytes.tokenBytes(size),
  };
}

describe('results', () => {
  it("the README's content-parts message equals its <image> placeholder form", async () => {
    const parts: ChatMessage[] = [
      {
        role: 'user',
        content: [
          { type: 'image', image },
          { type: 'text', text: 'What is the total?' },
        ],
      },
    ];
    const placeholder: ChatMessage[] = [
      { role: 'user', content: '<image>\nWhat is the total?', images: [image] },
    ];
    const chunks = [];
    for await (const chunk of model.chat(parts, { maxTokens: 8 })) chunks.push(chunk);
    const viaParts = chunks.flatMap((c) => c.tokenIds);
    const viaPlaceholder = await model.generate(placeholder, { maxTokens: 8 });
    expect(viaParts).toEqual(viaPlaceholder.tokenIds);
    expect(viaPlaceholder.usage.imageTokens).toBeGreaterThan(0);
    expect(chunks.at(-1)?.finishReason).toBe(viaPlaceholder.finishReason);
  });

  it('timings: first token within the total, a rate when more than one token came', async () => {
    const result = await model.generate([{ role: 'user', content: 'Count.' }], { maxTokens: 10 });
    expect(result.tokenIds.length).toBe(10);
    const { timeToFirstTokenMs, tokensPerSecond, totalMs } = result.timings;
    expect(timeToFirstTokenMs).toBeGreaterThan(0);
    expect(timeToFirstTokenMs).toBeLessThanOrEqual(totalMs);
    expect(tokensPerSecond).toBeGreaterThan(0);
    expect(Number.isFinite(tokensPerSecond)).toBe(true);
  });

  it('boxes: grounding in the answer comes back in pixels of the prompt image', async () => {
    const grounding = '<|ref|>the square<|/ref|><|det|>[[0,0,999,499]]<|/det|>';
    const grounded = await loadModel(modelDir, {
      device: 'cpu',
      tokenizer: decodingAs(grounding),
      cacheTokens: 2048,
    });
    try {
      const result = await grounded.generate(
        [{ role: 'user', content: '<image>\n<|ref|>the square<|/ref|>.', images: [image] }],
        { maxTokens: 1 },
      );
      expect(result.text).toBe(grounding);
      expect(result.boxes).toEqual([
        { label: 'the square', boxes: [{ normalized: [0, 0, 999, 499], pixels: [0, 0, 385, 191] }] },
      ]);
    } finally {
      await grounded.close();
    }
  });

  it('showSpecialTokens: special tokens are shown by default and hidden when false', async () => {
    const specials = await loadModel(modelDir, {
      device: 'cpu',
      tokenizer: decodingAs('<x>', true),
      cacheTokens: 2048,
    });
    try {
      const ask: ChatMessage[] = [{ role: 'user', content: 'Hello' }];
      const shown = await specials.generate(ask, { maxTokens: 3 });
      const hidden = await specials.generate(ask, { maxTokens: 3, showSpecialTokens: false });
      expect(shown.text).toBe('<x><x><x>');
      expect(hidden.text).toBe('');
      expect(hidden.tokenIds).toEqual(shown.tokenIds);
    } finally {
      await specials.close();
    }
  });

  it('a prompt larger than the whole KV cache fails with VL2_OUT_OF_MEMORY, and the model goes on', async () => {
    const tiny = await loadModel(modelDir, { device: 'cpu', tokenizer: bytes, cacheTokens: 128 });
    try {
      const error = await tiny
        .generate([{ role: 'user', content: 'x'.repeat(400) }], { maxTokens: 4 })
        .catch((e) => e);
      expect(error).toBeInstanceOf(Vl2Error);
      expect(error.code).toBe('VL2_OUT_OF_MEMORY');
      // A generation that outgrows the cache alone (nothing left to preempt) ends the same way.
      const outgrown = await tiny
        .generate([{ role: 'user', content: 'y'.repeat(100) }], { maxTokens: 200 })
        .catch((e) => e);
      expect(outgrown).toBeInstanceOf(Vl2Error);
      expect(outgrown.code).toBe('VL2_OUT_OF_MEMORY');
      const ok = await tiny.generate([{ role: 'user', content: 'Hi' }], { maxTokens: 4 });
      expect(ok.finishReason).toBe('length');
    } finally {
      await tiny.close();
    }
  });

  it('generateBatch yields every request once, failures as errors, and reports progress', async () => {
    const requests = [
      { id: 'a', messages: [{ role: 'user', content: 'One.' }], options: { maxTokens: 3 } },
      { id: 'b', messages: [{ role: 'user', content: 'Two.' }], options: { maxTokens: 5 } },
      { id: 'bad', messages: [{ role: 'user', content: 'Three.' }], options: { temperature: -1 } },
      { messages: [{ role: 'user', content: '<image>\nFour.', images: [image] }], options: { maxTokens: 2 } },
      { id: 'e', messages: [{ role: 'user', content: 'Five.' }] },
    ] as const;
    const progress: { done: number; total: number | undefined; failed: number }[] = [];
    const results = [];
    for await (const r of model.generateBatch(
      requests.map((r) => ({ ...r, messages: [...r.messages] as ChatMessage[] })),
      { concurrency: 2, onProgress: (p) => progress.push(p) },
    )) {
      results.push(r);
    }
    expect(results.map((r) => r.id).sort()).toEqual(['3', 'a', 'b', 'bad', 'e']);
    expect(results.find((r) => r.id === 'bad')?.error?.code).toBe('VL2_INVALID_ARGUMENT');
    expect(results.find((r) => r.id === 'a')?.result?.tokenIds.length).toBe(3);
    expect(results.find((r) => r.id === '3')?.result?.usage.imageTokens).toBeGreaterThan(0);
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.every((p) => p.total === 5)).toBe(true);
    expect(progress.at(-1)?.failed).toBe(1);
    // Each result is yielded after its progress call.
    expect(results.map((r) => r.index).sort()).toEqual([0, 1, 2, 3, 4]);
  });
});
