/** The typed jsonSchema() helper: refuses unsupported schemas at once, parses answers to its type. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConstraintError, InvalidArgumentError, jsonSchema, loadModel } from '../../lib/index.js';
import { validator } from '../support/ajv.js';
import { goldenPath } from '../support/golden.js';
import { goldenTokenizer } from '../support/golden-tokenizer.js';

describe('jsonSchema()', () => {
  const receipt = jsonSchema({
    type: 'object',
    properties: {
      merchant: { type: 'string', maxLength: 12 },
      total: { type: 'number', minimum: 0, maximum: 100 },
      lines: { type: 'array', maxItems: 2, items: { type: 'integer', minimum: 1, maximum: 9 } },
    },
    required: ['merchant', 'total'],
    additionalProperties: false,
  });

  it('infers the type from the schema', () => {
    expectTypeOf(receipt.parse('{}')).toEqualTypeOf<{ merchant: string; total: number; lines?: number[] }>();
  });

  it('refuses an unsupported keyword when the format is made, naming it', () => {
    const failure = (() => {
      try {
        jsonSchema({ type: 'array', uniqueItems: true });
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(ConstraintError);
    expect((failure as ConstraintError).keyword).toBe('uniqueItems');
  });

  it('constrains a generation and parses its answer; a cut-off answer is a typed error', async () => {
    const model = await loadModel(goldenPath('models', 'small'), {
      device: 'cpu',
      tokenizer: goldenTokenizer('small'),
      cacheTokens: 8192,
    });
    try {
      const valid = validator(receipt.schema);
      for (const seed of [1, 2, 3]) {
        const answer = await model.generate([{ role: 'user', content: 'Read the receipt.' }], {
          temperature: 1,
          seed,
          maxTokens: 2000,
          responseFormat: receipt,
        });
        const parsed = receipt.parse(answer.text);
        expect(valid(parsed)).toBe(true);
        expect(typeof parsed.merchant).toBe('string');
      }
      const cut = await model.generate([{ role: 'user', content: 'Read the receipt.' }], {
        temperature: 1,
        seed: 1,
        maxTokens: 3,
        responseFormat: receipt,
      });
      expect(cut.finishReason).toBe('length');
      expect(() => receipt.parse(cut.text)).toThrow(InvalidArgumentError);
    } finally {
      await model.close();
    }
  });
});
