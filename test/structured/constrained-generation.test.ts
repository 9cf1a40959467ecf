/**
 * Constrained generation on the CPU with the golden random-weight models (test/support/
 * constrained-generation.ts): every answer of every format, sampled at temperature 1 over many
 * seeds, plain and streamed, ends by itself and validates. Small has a byte vocabulary (fast, many
 * seeds); Tiny has the real DeepSeek tokenizer (multi-byte tokens, split UTF-8). Then schemas that
 * fast-check generates from the supported keywords, each answered under several seeds, validated by
 * ajv.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../lib/index.js';
import { checkConstrainedGeneration } from '../support/constrained-generation.js';
import { goldenPath } from '../support/golden.js';
import { goldenTokenizer } from '../support/golden-tokenizer.js';
import { validator } from './oracle.js';

describe('constrained generation on the golden models (CPU)', () => {
  it('Small (byte vocabulary): every format, 16 seeds each, plain and streamed', async () => {
    const lines = await checkConstrainedGeneration({ variant: 'small', device: 'cpu', seeds: 16 });
    expect(lines.length).toBeGreaterThanOrEqual(10);
    for (const line of lines) expect(line.value, line.where).toBe(0);
  }, 300_000);

  it('Tiny (the real DeepSeek vocabulary): schemas, regexes and the grammar, 4 seeds each', async () => {
    const lines = await checkConstrainedGeneration({
      variant: 'tiny',
      device: 'cpu',
      seeds: 4,
      // json_object and grounding meet hundreds of fresh grammar states on this vocabulary, each a
      // full vocabulary walk the first time; Small covers them, the GPU check runs them on Tiny.
      skip: ['json_object', 'grounding'],
    });
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const line of lines) expect(line.value, line.where).toBe(0);
  }, 300_000);
});

/** Schemas built from the supported keywords, nested at most twice. */
const leaf = fc.oneof(
  fc.record({ type: fc.constant('string'), maxLength: fc.integer({ min: 1, max: 12 }) }),
  fc
    .tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1000 }))
    .map(([minimum, span]) => ({ type: 'integer', minimum, maximum: minimum + span })),
  fc.record({ type: fc.constant('number'), minimum: fc.constant(-10), maximum: fc.constant(10.5) }),
  fc.constant({ type: 'boolean' }),
  fc.constant({ type: ['string', 'null'], maxLength: 4 }),
  fc
    .uniqueArray(fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean()), {
      minLength: 1,
      maxLength: 4,
    })
    .map((values) => ({ enum: values })),
  fc.constantFrom({ type: 'string', format: 'date' }, { type: 'string', format: 'uuid' }),
);
const schema = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', maxDepth: 2 }, leaf, tie('object'), tie('array')),
  array: fc
    .tuple(tie('node'), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }))
    .map(([items, minItems, extra]) => ({ type: 'array', items, minItems, maxItems: minItems + extra })),
  object: fc
    .dictionary(fc.stringMatching(/^[a-z]{1,6}$/), tie('node'), { minKeys: 1, maxKeys: 4 })
    .chain((properties) =>
      fc.subarray(Object.keys(properties)).map((required) => ({
        type: 'object',
        properties,
        required,
        additionalProperties: false,
      })),
    ),
})).object;

describe('constrained generation over generated schemas (CPU, Small)', () => {
  it('answers to fast-check schemas validate with ajv, 3 seeds each', async () => {
    const model = await loadModel(goldenPath('models', 'small'), {
      device: 'cpu',
      tokenizer: goldenTokenizer('small'),
      cacheTokens: 16384,
    });
    try {
      let answers = 0;
      await fc.assert(
        fc.asyncProperty(schema, async (generated) => {
          const valid = validator(generated);
          for (let seed = 0; seed < 3; seed++) {
            const result = await model.generate([{ role: 'user', content: 'Fill it in.' }], {
              temperature: 1,
              seed,
              maxTokens: 4000,
              responseFormat: { type: 'json_schema', schema: generated },
            });
            expect(result.finishReason, result.text).toBe('stop');
            expect(valid(JSON.parse(result.text)), `${JSON.stringify(generated)} -> ${result.text}`).toBe(
              true,
            );
            answers++;
          }
        }),
        { numRuns: 25, seed: 20261207 },
      );
      expect(answers).toBe(75);
    } finally {
      await model.close();
    }
  }, 300_000);
});
