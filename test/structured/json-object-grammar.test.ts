import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxJsonDepth } from '../../lib/structured/json-grammar.js';
import { jsonObjectGrammar } from '../../lib/structured/json-object-grammar.js';
import { forEachSample, ReferenceGrammar } from './oracle.js';

const grammar = ReferenceGrammar.parse(jsonObjectGrammar());
const nested = (depth: number): unknown => (depth === 1 ? {} : { a: nested(depth - 1) });

describe('jsonObjectGrammar', () => {
  it('accepts any JSON object, compact and with whitespace', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), (value) => {
        const safe = JSON.stringify(value);
        // Exponents stop at 287 so that no mantissa overflows to Infinity.
        if (/e\+(2[89]\d|3\d\d)/.test(safe)) return;
        expect(grammar.accepts(safe), safe).toBe(true);
        expect(grammar.accepts(JSON.stringify(value, null, 2))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('accepts only JSON objects', () => {
    forEachSample(grammar, 40, (text) => {
      const value: unknown = JSON.parse(text);
      expect(typeof value === 'object' && value !== null && !Array.isArray(value), text).toBe(true);
    });
    for (const text of [
      '[]',
      '"x"',
      '1',
      'null',
      '{"a":1,}',
      '{"a"}',
      "{'a':1}",
      '{"a":01}',
      '{"a":"\\ud800"}',
    ])
      expect(grammar.accepts(text), text).toBe(false);
  });

  it(`limits nesting to ${maxJsonDepth} levels`, () => {
    expect(grammar.accepts(JSON.stringify(nested(maxJsonDepth)))).toBe(true);
    expect(grammar.accepts(JSON.stringify(nested(maxJsonDepth + 1)))).toBe(false);
    let arrays = '1';
    for (let depth = 1; depth < maxJsonDepth; depth++) arrays = `[${arrays}]`;
    expect(grammar.accepts(`{"a":${arrays}}`)).toBe(true);
    expect(grammar.accepts(`{"a":[${arrays}]}`)).toBe(false);
  });
});
