import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSchemaToGrammar } from '../../lib/structured/json-schema-grammar.js';
import { forEachSample, ReferenceGrammar, refusal, validator } from './oracle.js';

interface Case {
  name: string;
  schema: unknown;
  /** Values ajv accepts; the grammar must accept each, compact and pretty-printed. */
  valid: unknown[];
  /** More valid values, generated. */
  arbitrary?: fc.Arbitrary<unknown>;
  /** Texts the grammar must refuse (invalid, or outside the output shape). */
  rejected?: string[];
}

const uuid = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const tree = {
  $defs: {
    node: {
      type: 'object',
      properties: {
        value: { type: 'integer' },
        children: { type: 'array', items: { $ref: '#/$defs/node' } },
      },
      required: ['value'],
      additionalProperties: false,
    },
  },
  $ref: '#/$defs/node',
};

const cases: Case[] = [
  {
    name: 'string',
    schema: { type: 'string' },
    valid: ['', 'a"b\\c\n\u0001é😀/'],
    arbitrary: fc.string({ unit: 'grapheme' }),
  },
  {
    name: 'integer',
    schema: { type: 'integer' },
    valid: [0, -1, 42, Number.MAX_SAFE_INTEGER],
    arbitrary: fc.maxSafeInteger(),
    rejected: ['-0', '01', '1.5', '1e3'],
  },
  {
    name: 'number',
    schema: { type: 'number' },
    valid: [0, -1.5, 1e21, 1e-7, 0.1 + 0.2, 1.7976931348623157e287],
    arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e280, max: 1e280 }),
    rejected: ['1e999', '2e308', '.5', '1.', '+1', 'NaN'],
  },
  { name: 'boolean', schema: { type: 'boolean' }, valid: [true, false], rejected: ['1', 'null'] },
  { name: 'null', schema: { type: 'null' }, valid: [null], rejected: ['false'] },
  { name: 'type union', schema: { type: ['string', 'null'] }, valid: ['x', null], rejected: ['1'] },
  {
    name: 'string lengths (code points, escapes count one)',
    schema: { type: 'string', minLength: 2, maxLength: 4 },
    valid: ['ab', 'a\n', '😀😀😀😀', 'éééé'],
    arbitrary: fc.string({ unit: 'binary', minLength: 2, maxLength: 4 }),
    rejected: ['"a"', '"abcde"', '"\\u00e9"', '"\\ud83d\\ude00\\ud83d"'],
  },
  {
    name: 'format date',
    schema: { type: 'string', format: 'date' },
    valid: ['2024-01-31', '0000-12-01', '1999-04-30', '2023-02-28'],
    rejected: ['"2024-02-30"', '"2024-13-01"', '"2024-04-31"', '"2024-00-10"'],
  },
  {
    name: 'format date-time',
    schema: { type: 'string', format: 'date-time' },
    valid: ['2024-01-31T23:59:59Z', '2024-06-01T00:00:00.123+05:30', '2024-06-01T12:30:00-11:00'],
    rejected: ['"2024-01-31T24:00:00Z"', '"2024-01-31T12:00:00"', '"2024-01-31T12:60:00Z"'],
  },
  {
    name: 'format uuid',
    schema: { type: 'string', format: 'uuid' },
    valid: [uuid, uuid.toUpperCase()],
    arbitrary: fc.uuid(),
  },
  {
    name: 'pattern, anchored',
    schema: { type: 'string', pattern: '^[A-Z]{2}-\\d{3}(x|yz)?$' },
    valid: ['AB-123', 'ZZ-000yz'],
    arbitrary: fc.stringMatching(/^[A-Z]{2}-\d{3}(x|yz)?$/u),
    rejected: ['"AB-12"', '"xAB-123"'],
  },
  {
    name: 'pattern, unanchored',
    schema: { type: 'string', pattern: '[0-9]' },
    valid: ['1', 'a1b'],
    arbitrary: fc.stringMatching(/[0-9]/u),
    rejected: ['"ab"'],
  },
  {
    name: 'pattern, escapes in the JSON text, end unanchored',
    schema: { type: 'string', pattern: '^a\\n[b"\\\\]+' },
    valid: ['a\nb', 'a\n"\\ yy', 'a\nbb'],
    arbitrary: fc.stringMatching(/^a\n[b"\\]+/u),
    rejected: ['"ab"', '"xa\\nb"'],
  },
  {
    name: 'integer range across zero',
    schema: { type: 'integer', minimum: -15, maximum: 1234 },
    valid: [-15, -1, 0, 9, 10, 999, 1000, 1234],
    arbitrary: fc.integer({ min: -15, max: 1234 }),
    rejected: ['-16', '1235', '-0', '007'],
  },
  {
    name: 'integer exclusive bounds',
    schema: { type: 'integer', exclusiveMinimum: -7.5, exclusiveMaximum: 100 },
    valid: [-7, 0, 99],
    arbitrary: fc.integer({ min: -7, max: 99 }),
    rejected: ['-8', '100'],
  },
  {
    name: 'integer, one side open',
    schema: { type: 'integer', minimum: 95 },
    valid: [95, 100, 123456789012],
    arbitrary: fc.integer({ min: 95 }),
    rejected: ['94', '-95', '0'],
  },
  {
    name: 'integer, negative only',
    schema: { type: 'integer', exclusiveMaximum: -3 },
    valid: [-4, -10, -99999],
    arbitrary: fc.integer({ max: -4 }),
    rejected: ['-3', '0', '-0'],
  },
  {
    name: 'number, inclusive bounds',
    schema: { type: 'number', minimum: 0, maximum: 1 },
    valid: [0, 1, 0.5, 0.001],
    arbitrary: fc.double({ min: 0.001, max: 1, noNaN: true }),
    rejected: ['1.01', '-0.5', '1e-1', '-0', '-0.0'],
  },
  {
    name: 'number, exclusive bounds',
    schema: { type: 'number', exclusiveMinimum: -2, exclusiveMaximum: 3 },
    valid: [-1.99, 0, 2.999999],
    arbitrary: fc.integer({ min: -199, max: 299 }).map((n) => n / 100),
    rejected: ['-2', '3', '3.0', '-2.0', '2.9999999999999999999'],
  },
  {
    name: 'number, lower bound only',
    schema: { type: 'number', exclusiveMinimum: 10 },
    valid: [10.5, 11, 1e20],
    arbitrary: fc.integer({ min: 1001, max: 10 ** 9 }).map((n) => n / 100),
    rejected: ['10', '10.0', '9.9'],
  },
  {
    name: 'number, decimal bounds',
    schema: { type: 'number', minimum: 0.5, maximum: 99.99 },
    valid: [0.5, 0.50001, 1, 99.99, 99.989, 42.125],
    arbitrary: fc.integer({ min: 50, max: 9999 }).map((n) => n / 100),
    rejected: ['0.49', '99.991', '100', '0.4999999'],
  },
  {
    name: 'number, decimal exclusive bounds across zero',
    schema: { type: 'number', exclusiveMinimum: -1.25, exclusiveMaximum: 0.1 },
    valid: [-1.24, -1.2499, 0, 0.0999, -0.5],
    arbitrary: fc.integer({ min: -1249, max: 99 }).map((n) => n / 1000),
    rejected: ['-1.25', '-1.250', '0.1', '0.10', '-0', '-0.0'],
  },
  {
    name: 'object: required, optional, additionalProperties false, schema order',
    schema: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        name: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['name'],
      additionalProperties: false,
    },
    valid: [
      { name: 'x' },
      { id: 1, name: 'x' },
      { name: 'x', tags: [] },
      { id: 2, name: '', tags: ['a', 'b'] },
    ],
    arbitrary: fc.record(
      { id: fc.integer(), name: fc.string(), tags: fc.array(fc.string()) },
      { requiredKeys: ['name'] },
    ),
    rejected: [
      '{}',
      '{"id":1}',
      '{"name":"x",}',
      '{,"name":"x"}',
      '{"name":"x","extra":1}',
      '{"name":"x","id":1}',
    ],
  },
  {
    name: 'object: all optional, nested',
    schema: {
      type: 'object',
      properties: {
        a: { type: 'object', properties: { b: { type: 'boolean' } }, required: ['b'] },
        c: { type: 'null' },
      },
    },
    valid: [{}, { a: { b: true } }, { c: null }, { a: { b: false }, c: null }],
    rejected: ['{"a":{}}', '{"c":null,"a":{"b":true}}'],
  },
  {
    name: 'object: required property not described',
    schema: { type: 'object', properties: { a: { type: 'integer' } }, required: ['b'] },
    valid: [{ b: [1, { x: null }] }, { a: 1, b: 'x' }],
    rejected: ['{"a":1}'],
  },
  {
    name: 'array: items, minItems, maxItems',
    schema: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, minItems: 1, maxItems: 3 },
    valid: [[0], [1, 2, 3]],
    arbitrary: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3 }),
    rejected: ['[]', '[1,2,3,4]', '[10]', '[1,]'],
  },
  {
    name: 'array: prefixItems and items false',
    schema: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
    valid: [[], ['a'], ['a', 1]],
    rejected: ['["a",1,2]', '[1]'],
  },
  {
    name: 'array: prefixItems, then items, with minItems',
    schema: {
      type: 'array',
      prefixItems: [{ const: 'x' }],
      items: { type: 'boolean' },
      minItems: 2,
      maxItems: 4,
    },
    valid: [
      ['x', true],
      ['x', false, true, true],
    ],
    rejected: ['["x"]', '[true,true]', '["x",true,true,true,true]'],
  },
  {
    name: 'array: no items keyword (any values)',
    schema: { type: 'array', maxItems: 2 },
    valid: [[], [1, 'a'], [{ a: [null] }]],
    rejected: ['[1,2,3]'],
  },
  {
    name: 'enum and const of any JSON values',
    schema: { enum: ['red', 2, null, { a: [1, true] }, [1, 'x']] },
    valid: ['red', 2, null, { a: [1, true] }, [1, 'x']],
    rejected: ['"blue"', '3'],
  },
  { name: 'const', schema: { const: { k: 'v' } }, valid: [{ k: 'v' }], rejected: ['{"k":"w"}'] },
  {
    name: 'enum filtered by type',
    schema: { type: 'string', enum: ['a', 1, 'b'] },
    valid: ['a', 'b'],
    rejected: ['1'],
  },
  {
    name: 'anyOf',
    schema: {
      anyOf: [
        { type: 'string', maxLength: 1 },
        { type: 'integer', minimum: 5 },
        { type: 'string', format: 'date' },
      ],
    },
    valid: ['', 'a', 5, 77, '2024-01-01'],
    rejected: ['"ab"', '4'],
  },
  {
    name: 'oneOf with distinct types',
    schema: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'integer' } }] },
    valid: ['x', [1, 2]],
    rejected: ['1'],
  },
  {
    name: 'oneOf with a discriminating property',
    schema: {
      oneOf: [
        {
          type: 'object',
          properties: { kind: { const: 'a' }, x: { type: 'integer' } },
          required: ['kind', 'x'],
        },
        {
          type: 'object',
          properties: { kind: { enum: ['b', 'c'] }, y: { type: 'string' } },
          required: ['kind'],
        },
      ],
    },
    valid: [{ kind: 'a', x: 1 }, { kind: 'b' }, { kind: 'c', y: 'z' }],
    rejected: ['{"kind":"a"}', '{"kind":"d"}'],
  },
  {
    name: '$ref, recursive through $defs',
    schema: tree,
    valid: [{ value: 1 }, { value: 1, children: [{ value: 2, children: [] }, { value: 3 }] }],
    rejected: ['{"children":[]}', '{"value":1,"children":[{}]}'],
  },
  {
    name: '$ref through definitions, allOf of one',
    schema: {
      definitions: { id: { type: 'string', format: 'uuid' } },
      type: 'object',
      properties: { id: { allOf: [{ $ref: '#/definitions/id' }] } },
      required: ['id'],
    },
    valid: [{ id: uuid }],
    rejected: ['{"id":"x"}'],
  },
  {
    name: 'boolean schemas',
    schema: { type: 'object', properties: { any: true, never: false }, required: ['any'] },
    valid: [{ any: 1 }, { any: { deep: [[]] } }],
    rejected: ['{"any":1,"never":1}', '{}'],
  },
  {
    name: 'true at the root',
    schema: true,
    valid: [1, 'x', null, { a: [1] }],
    // Exponents stop at 287 (json-grammar.ts), so that no mantissa overflows to Infinity.
    arbitrary: fc.jsonValue({ maxDepth: 5 }).filter((v) => !/e\+(2[89]\d|3\d\d)/.test(JSON.stringify(v))),
  },
  {
    name: 'no type: every type, keywords applying to their own',
    schema: { minLength: 2, maximum: 3 },
    valid: ['ab', 3, -1.5, null, true, [], {}],
    rejected: ['"a"', '4'],
  },
  {
    name: 'annotations are ignored',
    schema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://example.com/s',
      title: 't',
      description: 'd',
      $comment: 'c',
      type: 'object',
      properties: { a: { type: 'integer', default: 1, examples: [1], title: 'a' } },
      required: ['a'],
    },
    valid: [{ a: 1 }],
  },
];

/** JSON.stringify with 2-space indents puts whitespace only where the grammar's `ws` may go. */
const spellings = (value: unknown) => [JSON.stringify(value), JSON.stringify(value, null, 2)];

describe('jsonSchemaToGrammar', () => {
  for (const c of cases)
    describe(c.name, () => {
      const grammar = ReferenceGrammar.parse(jsonSchemaToGrammar(c.schema));
      const valid = validator(c.schema);

      it('accepts valid values, compact and with whitespace', () => {
        for (const value of c.valid) {
          expect(valid(value), JSON.stringify(value)).toBe(true);
          for (const text of spellings(value)) expect(grammar.accepts(text), text).toBe(true);
        }
        if (c.arbitrary)
          fc.assert(
            fc.property(c.arbitrary, (value) => {
              expect(valid(value)).toBe(true);
              for (const text of spellings(value)) expect(grammar.accepts(text), text).toBe(true);
            }),
            { numRuns: 40 },
          );
      });

      it('refuses what it must', () => {
        for (const text of c.rejected ?? []) expect(grammar.accepts(text), text).toBe(false);
      });

      it('accepts only texts that validate', () => {
        forEachSample(grammar, 25, (text) => {
          expect(valid(JSON.parse(text)), text).toBe(true);
        });
        fc.assert(
          fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
            const text = JSON.stringify(value);
            if (text !== undefined && grammar.accepts(text)) expect(valid(value), text).toBe(true);
          }),
          { numRuns: 40 },
        );
      });
    });

  it('writes every integer range exactly (random bounds, values on both sides)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3000, max: 3000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.array(fc.integer({ min: -7000, max: 7000 }), { minLength: 10, maxLength: 10 }),
        (lo, width, probes) => {
          const hi = lo + width;
          const grammar = ReferenceGrammar.parse(
            jsonSchemaToGrammar({ type: 'integer', minimum: lo, maximum: hi }),
          );
          for (const n of [lo - 1, lo, hi, hi + 1, ...probes])
            expect(grammar.accepts(String(n)), `${n} in ${lo}..${hi}`).toBe(n >= lo && n <= hi);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('writes every number range exactly (random decimal bounds, probes on both sides)', () => {
    const decimal = fc
      .integer({ min: -99999, max: 99999 })
      .chain((n) => fc.constantFrom(1, 10, 100, 1000).map((scale) => n / scale));
    const keywordPair = fc.tuple(
      fc.constantFrom('minimum', 'exclusiveMinimum', undefined),
      fc.constantFrom('maximum', 'exclusiveMaximum', undefined),
    );
    fc.assert(
      fc.property(
        decimal,
        decimal,
        keywordPair,
        fc.array(decimal, { minLength: 12, maxLength: 12 }),
        (a, b, [low, high], probes) => {
          const schema: Record<string, unknown> = { type: 'number' };
          if (low) schema[low] = Math.min(a, b);
          if (high) schema[high] = Math.max(a, b);
          const valid = validator(schema);
          let grammar: ReferenceGrammar;
          try {
            grammar = ReferenceGrammar.parse(jsonSchemaToGrammar(schema));
          } catch {
            return; // both bounds equal with one exclusive: no number at all
          }
          for (const n of [a, b, ...probes, a + 0.0001, b - 0.0001]) {
            const text = String(n);
            // Bounded numbers have no exponent, and near an exclusive bound at most 15 significant digits.
            if (/e|\.\d{9}/.test(text)) continue;
            expect(grammar.accepts(text), `${text} against ${JSON.stringify(schema)}`).toBe(valid(n));
            expect(grammar.accepts(`${text}${text.includes('.') ? '' : '.'}000`), `${text}000`).toBe(
              valid(n),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes output that is finite for any sampler: bounded whitespace', () => {
    const grammar = ReferenceGrammar.parse(jsonSchemaToGrammar({ type: 'array' }));
    expect(grammar.accepts(`[${' '.repeat(16)}]`)).toBe(true);
    expect(grammar.accepts(`[${' '.repeat(17)}]`)).toBe(false);
  });
});

describe('jsonSchemaToGrammar refusals', () => {
  const refused: [string, unknown, string, string][] = [
    ['uniqueItems', { type: 'array', uniqueItems: true }, 'uniqueItems', '/uniqueItems'],
    [
      'multipleOf',
      { type: 'object', properties: { n: { type: 'integer', multipleOf: 2 } } },
      'multipleOf',
      '/properties/n/multipleOf',
    ],
    ['not', { not: { type: 'string' } }, 'not', '/not'],
    ['allOf of two', { allOf: [{ type: 'string' }, { maxLength: 2 }] }, 'allOf', '/allOf'],
    // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword under test
    ['if/then/else', { if: { type: 'string' }, then: {}, else: {} }, 'if', '/if'],
    [
      'patternProperties',
      { type: 'object', patternProperties: { '^a': {} } },
      'patternProperties',
      '/patternProperties',
    ],
    ['dependentRequired', { dependentRequired: { a: ['b'] } }, 'dependentRequired', '/dependentRequired'],
    ['minProperties', { type: 'object', minProperties: 1 }, 'minProperties', '/minProperties'],
    ['contains', { type: 'array', contains: { type: 'string' } }, 'contains', '/contains'],
    [
      'additionalProperties schema',
      { type: 'object', additionalProperties: { type: 'string' } },
      'additionalProperties',
      '/additionalProperties',
    ],
    ['remote $ref', { $ref: 'https://example.com/schema.json' }, '$ref', '/$ref'],
    ['unresolved $ref', { $ref: '#/$defs/missing' }, '$ref', '/$ref'],
    ['left-recursive $ref', { anyOf: [{ $ref: '#' }, { type: 'string' }] }, '$ref', '/anyOf/0/$ref'],
    ['unknown format', { type: 'string', format: 'email' }, 'format', '/format'],
    ['pattern with a backreference', { type: 'string', pattern: '(a)\\1' }, 'pattern', '/pattern'],
    ['pattern with lengths', { type: 'string', pattern: 'a', maxLength: 3 }, 'pattern', '/pattern'],
    [
      'overlapping oneOf',
      { oneOf: [{ type: 'string' }, { type: 'string', maxLength: 2 }] },
      'oneOf',
      '/oneOf',
    ],
    ['oneOf integer and number', { oneOf: [{ type: 'integer' }, { type: 'number' }] }, 'oneOf', '/oneOf'],
    ['a number bound written with an exponent', { type: 'number', minimum: 1e-7 }, 'minimum', '/minimum'],
    [
      'an exclusive number bound of more than 15 digits',
      { type: 'number', exclusiveMaximum: 0.1234567890123456 },
      'exclusiveMaximum',
      '/exclusiveMaximum',
    ],
    [
      'a number exclusive bound too long to stay exact',
      { type: 'number', exclusiveMaximum: 1e15 },
      'exclusiveMaximum',
      '/exclusiveMaximum',
    ],
    ['an unsafe integer bound', { type: 'integer', maximum: 2 ** 60 }, 'maximum', '/maximum'],
    ['draft-07 items array', { type: 'array', items: [{ type: 'string' }] }, 'items', '/items'],
    ['$id below the root', { properties: { a: { $id: 'x', type: 'string' } } }, '$id', '/properties/a/$id'],
    ['enum with other keywords', { enum: ['a'], maxLength: 3 }, 'enum', '/enum'],
    ['$ref with siblings', { $ref: '#/$defs/a', type: 'string', $defs: { a: {} } }, '$ref', '/$ref'],
    ['false at the root', false, 'schema', ''],
    ['no value at the root', { type: 'object', properties: { a: false }, required: ['a'] }, 'schema', ''],
    ['a $ref no value satisfies', { $defs: { n: { type: [] } }, $ref: '#/$defs/n' }, 'type', '/$defs/n/type'],
    [
      'a required property with schema false',
      {
        type: 'array',
        items: { $ref: '#/$defs/o' },
        $defs: { o: { type: 'object', properties: { a: false }, required: ['a'] } },
      },
      '$ref',
      '/items/$ref',
    ],
    // Malformed schemas.
    ['type not a string', { type: 5 }, 'type', '/type'],
    ['type unknown', { type: 'float' }, 'type', '/type'],
    ['required not strings', { type: 'object', required: [1] }, 'required', '/required'],
    [
      'required not an array',
      { type: 'object', properties: { a: { required: 'x' } } },
      'required',
      '/properties/a/required',
    ],
    ['minLength > maxLength', { type: 'string', minLength: 3, maxLength: 2 }, 'minLength', '/minLength'],
    ['negative maxItems', { type: 'array', maxItems: -1 }, 'maxItems', '/maxItems'],
    ['minimum > maximum', { type: 'integer', minimum: 3, maximum: 2 }, 'minimum', '/minimum'],
    ['minimum not a number', { type: 'integer', minimum: '1' }, 'minimum', '/minimum'],
    ['enum not an array', { enum: 'a' }, 'enum', '/enum'],
    ['schema not an object', { properties: { a: 3 } }, 'schema', '/properties/a'],
    ['invalid pattern', { type: 'string', pattern: '(' }, 'pattern', '/pattern'],
    [
      'path escapes ~ and /',
      { properties: { 'a/b~c': { uniqueItems: true } } },
      'uniqueItems',
      '/properties/a~1b~0c/uniqueItems',
    ],
  ];
  for (const [name, schema, keyword, path] of refused)
    it(name, () => {
      const error = refusal(() => jsonSchemaToGrammar(schema));
      expect(error.keyword).toBe(keyword);
      expect(error.path).toBe(path);
    });
});
