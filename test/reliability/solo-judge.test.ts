/**
 * The GPU storm judges a constrained answer that differs from its prompt alone by the solo greedy
 * decode (soloGreedyDecode) under the request's grammar: the margins must be those among the tokens
 * the grammar allows, as the engine decodes. On the CPU the engine is exact, so the solo decode
 * under the grammar must give the constrained greedy answer token for token; without the grammar
 * it does not (the random-weight model writes no JSON by itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineModel } from '../../lib/engine/native-model.js';
import { type LoadedModel, loadModel } from '../../lib/index.js';
import { FormatCompiler } from '../../lib/structured/format-compiler.js';
import type { ResponseFormat } from '../../lib/structured/response-format.js';
import { soloGreedyDecode } from '../support/bf16-golden-check.js';
import { goldenPath } from '../support/golden.js';
import { goldenTokenizer } from '../support/golden-tokenizer.js';

const format: ResponseFormat = {
  type: 'json_schema',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', maxLength: 12 },
      count: { type: 'integer', minimum: 0, maximum: 999 },
    },
    required: ['name', 'count'],
    additionalProperties: false,
  },
};

let model: LoadedModel;
let engine: EngineModel;
beforeAll(async () => {
  const dir = goldenPath('models', 'small');
  model = await loadModel(dir, { device: 'cpu', tokenizer: goldenTokenizer('small') });
  engine = await EngineModel.load(dir, { cacheTokens: 4096 });
});
afterAll(async () => {
  await model.close();
  engine.close();
});

describe('the storm judge decodes a constrained prompt alone as the engine does', () => {
  it('gives the constrained greedy answer under the grammar, and not without it', async () => {
    const eos = engine.checkpoint.modelConfig.language.eosTokenId;
    const grammar = await new FormatCompiler(model.processor.tokenizer, engine.info().vocabSize).compile(
      format,
    );
    for (const text of ['Fill in the record.', 'Another one, please.']) {
      const messages = [{ role: 'user' as const, content: text }];
      const answer = await model.generate(messages, { responseFormat: format, maxTokens: 64 });
      const { prompt } = await model.prepare(messages);
      const solo = await soloGreedyDecode(engine, prompt, answer.tokenIds.length + 1, eos, grammar);
      expect(solo.tokens.at(-1)).toBe(eos);
      expect(solo.tokens.slice(0, -1)).toEqual(answer.tokenIds);
      expect(solo.margins.every((m) => m > 0)).toBe(true);
      const free = await soloGreedyDecode(engine, prompt, answer.tokenIds.length, eos);
      expect(free.tokens).not.toEqual(answer.tokenIds);
    }
  }, 60_000);
});
