import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { regexToGrammar } from '../../lib/structured/regex-grammar.js';
import { forEachSample, ReferenceGrammar, refusal } from './oracle.js';

/** Patterns covering each construct; the grammar must accept exactly the strings they match in full. */
const patterns = [
  'abc',
  '^a.c$',
  '[a-f0-9]{2,4}',
  '[^a-z\\s]+',
  '\\d\\D\\w\\W\\s\\S',
  '(ab|cd)*e?',
  '(?:x|y|)z{3}',
  '(?<year>\\d{4})-(?<month>\\d{2})',
  'a+?b*?c??d{1,}?',
  '\\x41\\u0042\\u{1F600}\\n\\t\\\\\\.\\/',
  '[\\d\\-_.]{1,3}',
  'é[à-ü]😀',
  '[\\]\\[]x',
  'a{0}b',
  '^ab|cd$',
];

describe('regexToGrammar', () => {
  for (const pattern of patterns)
    describe(pattern, () => {
      const regex = new RegExp(`^(?:${pattern.replace(/^\^|\$$/g, '')})$`, 'u');
      const grammar = ReferenceGrammar.parse(regexToGrammar(pattern));
      it('accepts every full match', () => {
        fc.assert(
          fc.property(fc.stringMatching(regex), (text) => {
            expect(grammar.accepts(text), JSON.stringify(text)).toBe(true);
          }),
          { numRuns: 40 },
        );
      });
      it('accepts only full matches', () => {
        forEachSample(grammar, 25, (text) => expect(regex.test(text), JSON.stringify(text)).toBe(true));
        fc.assert(
          fc.property(fc.string({ maxLength: 6 }), (text) => {
            if (grammar.accepts(text)) expect(regex.test(text), JSON.stringify(text)).toBe(true);
          }),
          { numRuns: 40 },
        );
      });
    });

  it('treats a top-level alternation of anchors per alternative', () => {
    const grammar = ReferenceGrammar.parse(regexToGrammar('^ab|cd$'));
    expect(grammar.accepts('ab')).toBe(true);
    expect(grammar.accepts('cd')).toBe(true);
  });

  const refused: [string, string, number][] = [
    ['(a)\\1', 'backreferences', 4],
    ['(?<n>a)\\k<n>', 'backreferences', 8],
    ['a(?=b)', 'lookahead', 2],
    ['a(?!b)', 'lookahead', 2],
    ['(?<=a)b', 'lookbehind', 1],
    ['(?<!a)b', 'lookbehind', 1],
    ['\\bword', 'word boundary', 1],
    ['\\p{L}', 'Unicode property', 1],
    ['a^b', "'^'", 2],
    ['a$b', "'$'", 2],
    ['(a', "unclosed '('", 1],
    ['a)', "unmatched ')'", 2],
    ['*a', 'nothing to repeat', 1],
    ['a{2,1}', 'm < n', 2],
    ['a{x}', 'not a quantifier', 2],
    ['[z-a]', 'out of order', 2],
    ['\\q', 'not valid with the u flag', 1],
    ['(?i:a)', 'group modifiers', 1],
  ];
  for (const [pattern, why, column] of refused)
    it(`refuses ${pattern} (${why})`, () => {
      const error = refusal(() => regexToGrammar(pattern));
      expect(error.keyword).toBe('pattern');
      expect(error.column).toBe(column);
      expect((error as unknown as Error).message).toContain(why);
    });
});
