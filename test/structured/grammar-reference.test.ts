/**
 * The reference grammar recognizer (test/support/grammar-reference.ts) against hand-checked cases,
 * JavaScript's own RegExp (for grammars without recursion) and JSON.parse (for a JSON grammar), so
 * it can serve as the oracle for the native matcher.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConstraintError } from '../../lib/errors.js';
import { fuzzRuns } from '../fuzz/arbitraries.js';
import { ReferenceGrammar } from '../support/grammar-reference.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

/** Checks that `text` matches exactly the strings in `yes` and none in `no`. */
function expectLanguage(text: string, yes: (string | Uint8Array)[], no: (string | Uint8Array)[]) {
  const g = ReferenceGrammar.parse(text);
  for (const s of yes) expect(g.accepts(s), `accepts ${JSON.stringify(s)}`).toBe(true);
  for (const s of no) expect(g.accepts(s), `rejects ${JSON.stringify(s)}`).toBe(false);
}

/** Parses `text` expecting a ConstraintError at line:column whose message matches `pattern`. */
function expectRefusal(text: string, line: number, column: number, pattern: RegExp) {
  let caught: unknown;
  try {
    ReferenceGrammar.parse(text);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConstraintError);
  const error = caught as ConstraintError;
  expect(error.code).toBe('VL2_CONSTRAINT');
  expect(error.message).toMatch(pattern);
  expect({ line: error.line, column: error.column }).toEqual({ line, column });
}

describe('ReferenceGrammar: constructs', () => {
  it('matches literals with every escape', () => {
    expectLanguage(String.raw`root ::= "a\n\r\t\\\"\'\[\]\-\^\/"`, ['a\n\r\t\\"\'[]-^/'], ['a', 'a\\n']);
    expectLanguage(String.raw`root ::= "\x41\u00e9\u4e00\U0001F600"`, ['Aé一😀'], ['A']);
    // \xHH is the code point U+00HH, encoded as UTF-8, not the raw byte.
    expectLanguage(String.raw`root ::= "\x80"`, [Uint8Array.of(0xc2, 0x80)], [Uint8Array.of(0x80)]);
    expectLanguage('root ::= "" "ab" ""', ['ab'], ['', 'a', 'abb']);
    expectLanguage('root ::= "#x" # a comment\n', ['#x'], ['']);
  });

  it('matches classes with ranges, negation and escapes', () => {
    expectLanguage('root ::= [a-cx]', ['a', 'b', 'c', 'x'], ['d', '', 'ab', 'A']);
    expectLanguage('root ::= [^a-c]', ['d', 'é', '一', '\n', '😀'], ['a', 'c', '']);
    expectLanguage(
      String.raw`root ::= [\]\-\^\\\x00-\x1f]`,
      [']', '-', '^', '\\', '\x00', '\x1f'],
      [' ', '['],
    );
    expectLanguage('root ::= [-a] [a-] [a^]', ['-a^', 'a-a'], ['bab']);
    expectLanguage('root ::= [a-z-9]', ['a', '-', '9'], ['5']);
    expectLanguage('root ::= [[]', ['['], [']']);
    expectLanguage(String.raw`root ::= [^"\\\x00-\x1f]`, ['a', '一'], ['"', '\\', '\n']);
  });

  it('matches . as any one code point, newline included', () => {
    expectLanguage('root ::= .', ['a', '\n', 'é', '一', '😀', '\u{10ffff}'], ['', 'ab', Uint8Array.of(0xff)]);
  });

  it('matches groups, alternation and sequences', () => {
    expectLanguage('root ::= "a" ("b" | "c" "d") | "e"', ['ab', 'acd', 'e'], ['a', 'ac', 'ae', 'abcd']);
    expectLanguage('root ::= "a" | | "b"', ['a', '', 'b'], ['ab']);
    expectLanguage('root ::= "a" () "b"', ['ab'], ['a']);
  });

  it('matches * + ? {n} {n,} {n,m}', () => {
    expectLanguage('root ::= "a"*', ['', 'a', 'aaaa'], ['b', 'ab']);
    expectLanguage('root ::= "a"+', ['a', 'aaa'], ['']);
    expectLanguage('root ::= "a"? "b"', ['b', 'ab'], ['aab']);
    expectLanguage('root ::= "ab"{2}', ['abab'], ['ab', 'ababab']);
    expectLanguage('root ::= "a"{2,}', ['aa', 'aaaaaa'], ['a', '']);
    expectLanguage('root ::= "a"{1,3}', ['a', 'aa', 'aaa'], ['', 'aaaa']);
    expectLanguage('root ::= "a"{0} "b"', ['b'], ['ab']);
    expectLanguage('root ::= "a"{ 0 , 2 } "b" *', ['b', 'aabbb'], ['aaab']);
    expectLanguage('root ::= "a"{1000}', ['a'.repeat(1000)], ['a'.repeat(999), 'a'.repeat(1001)]);
    // Postfixes stack, innermost first.
    expectLanguage('root ::= ("a"{2})+ "b"?*', ['aa', 'aaaabb'], ['a', 'aaa']);
  });

  it('reads multi-line bodies, comments and rules in any order', () => {
    const text = [
      '# leading comment',
      'root ::= greeting # trailing',
      '  ( "," ws name )*   # the body goes on',
      '',
      'greeting ::= "hi" | "hello"',
      'ws ::= [ \\t]*',
      'name ::= [a-z]+ (',
      '  "-" [a-z]+',
      ')?',
    ].join('\n');
    expectLanguage(text, ['hi', 'hello, bob', 'hi,al-x,  bo'], ['hi,', 'hi, Bob', 'hey', 'hi, bo-']);
  });

  it('matches recursion: balanced brackets and right recursion', () => {
    const brackets = 'root ::= item*\nitem ::= "(" root ")" | "[" root "]"';
    expectLanguage(brackets, ['', '()', '([])[]', '(((())))'], ['(', '(]', ')(', '([)]']);
    const g = ReferenceGrammar.parse(brackets);
    expect(g.acceptsPrefix('(([')).toBe(true);
    expect(g.acceptsPrefix('(()]')).toBe(false);
    expect(g.allowedNextBytes('([')).toEqual(new Set([...'([]'].map((c) => c.charCodeAt(0))));
    expectLanguage('root ::= "a" root | "b"', ['b', 'ab', 'aaab'], ['a', '']);
    expectLanguage('root ::= "(" root? ")"', ['()', '((()))'], ['(()', '']);
  });

  it('accepts prefixes that can still be finished, and nothing past a dead end', () => {
    const g = ReferenceGrammar.parse('root ::= "ab" "c"? | "xyz"');
    for (const p of ['', 'a', 'ab', 'abc', 'x', 'xy', 'xyz']) expect(g.acceptsPrefix(p), p).toBe(true);
    for (const p of ['b', 'abcd', 'xz', 'xyza']) expect(g.acceptsPrefix(p), p).toBe(false);
    expect(g.allowedNextBytes('')).toEqual(new Set([0x61, 0x78]));
    expect(g.allowedNextBytes('abc')).toEqual(new Set());
    // A rule that never finishes cannot start a prefix.
    const stuck = ReferenceGrammar.parse('root ::= "a" | "b" loop\nloop ::= "c" loop');
    expect(stuck.acceptsPrefix('b')).toBe(false);
    expect(stuck.allowedNextBytes('')).toEqual(new Set([0x61]));
    const none = ReferenceGrammar.parse('root ::= "a" root');
    expect(none.acceptsPrefix('')).toBe(false);
  });
});

describe('ReferenceGrammar: UTF-8', () => {
  const cjk = ReferenceGrammar.parse('root ::= [一-龥]+');
  const han = utf8('中'); // E4 B8 AD

  it('matches a CJK character by its code point range', () => {
    expect(cjk.accepts('中文')).toBe(true);
    expect(cjk.accepts('a')).toBe(false);
    expect(cjk.accepts('㐀')).toBe(false); // U+3400, below the range
  });

  it('accepts a prefix that splits a character the class can complete', () => {
    expect(cjk.acceptsPrefix(han.subarray(0, 1))).toBe(true);
    expect(cjk.acceptsPrefix(han.subarray(0, 2))).toBe(true);
    expect(cjk.accepts(han.subarray(0, 2))).toBe(false);
    expect(cjk.acceptsPrefix(concat(han, han.subarray(0, 2)))).toBe(true);
    // U+4E00..U+9FA5 are E4 B8 80 .. E9 BE A5: the lead byte allows exactly E4..E9.
    expect(cjk.allowedNextBytes('')).toEqual(new Set([0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9]));
    expect(cjk.allowedNextBytes(Uint8Array.of(0xe9, 0xbe))).toEqual(
      new Set(Array.from({ length: 0xa5 - 0x80 + 1 }, (_, i) => 0x80 + i)),
    );
  });

  it('rejects an invalid continuation and bytes that no code point of the class starts with', () => {
    expect(cjk.acceptsPrefix(Uint8Array.of(0xe4, 0x41))).toBe(false);
    expect(cjk.acceptsPrefix(Uint8Array.of(0xe4, 0xb8, 0xc0))).toBe(false);
    expect(cjk.acceptsPrefix(Uint8Array.of(0xe4, 0xb7))).toBe(false); // U+4DC0.., below U+4E00
    expect(cjk.acceptsPrefix(Uint8Array.of(0xb8))).toBe(false);
  });

  it('never matches overlong forms, surrogates or code points past U+10FFFF', () => {
    const any = ReferenceGrammar.parse('root ::= .');
    expect(any.acceptsPrefix(Uint8Array.of(0xc0))).toBe(false);
    expect(any.acceptsPrefix(Uint8Array.of(0xe0, 0x80))).toBe(false);
    expect(any.acceptsPrefix(Uint8Array.of(0xed, 0xa0))).toBe(false); // U+D800..
    expect(any.acceptsPrefix(Uint8Array.of(0xed, 0x9f))).toBe(true);
    expect(any.acceptsPrefix(Uint8Array.of(0xf4, 0x90))).toBe(false);
    expect(any.acceptsPrefix(Uint8Array.of(0xf5))).toBe(false);
    expect(any.accepts(Uint8Array.of(0xf4, 0x8f, 0xbf, 0xbf))).toBe(true);
    const lead = any.allowedNextBytes('');
    expect([...lead].sort((a, b) => a - b)).toEqual([
      ...Array.from({ length: 0x80 }, (_, i) => i),
      ...Array.from({ length: 0xf4 - 0xc2 + 1 }, (_, i) => 0xc2 + i),
    ]);
  });

  it('allowedNextBytes is exactly the bytes that keep a valid prefix', () => {
    const g = ReferenceGrammar.parse('root ::= ([^a-z] | "é" "x"?)* "😀"');
    for (const prefix of ['', 'é', 'Aé', '中', utf8('😀').subarray(0, 2), Uint8Array.of(0xc3)]) {
      const p = typeof prefix === 'string' ? utf8(prefix) : prefix;
      const expected = new Set<number>();
      for (let b = 0; b < 256; b += 1) if (g.acceptsPrefix(concat(p, [b]))) expected.add(b);
      expect(g.allowedNextBytes(p)).toEqual(expected);
    }
  });
});

describe('ReferenceGrammar: refusals with line and column', () => {
  it('refuses an undefined rule at its reference', () => {
    expectRefusal('root ::= "a"\n  item', 2, 3, /undefined rule 'item'/);
  });

  it('refuses a rule defined twice at the second definition', () => {
    expectRefusal('root ::= a\na ::= "x"\n\na ::= "y"', 4, 1, /'a' is defined twice/);
  });

  it('refuses a grammar without root', () => {
    expectRefusal('start ::= "a"', 1, 1, /no rule named 'root'/);
  });

  it('refuses left recursion, direct, indirect and through nullable prefixes', () => {
    expectRefusal('root ::= root "a" | "b"', 1, 1, /left recursion: rule 'root'/);
    expectRefusal('root ::= "x" a\na ::= b "c"\nb ::= "d" | a', 2, 1, /left recursion: .*a -> b -> a/);
    expectRefusal('root ::= "x" | e root\ne ::= "y"?', 1, 1, /left recursion/);
    expectRefusal('root ::= "x"\n  a ::= [a]* ("")+ a?', 2, 3, /left recursion: rule 'a'/);
    // Consuming first, or repeating zero times, is not left recursion.
    expect(() => ReferenceGrammar.parse('root ::= "(" root ")" | ""')).not.toThrow();
    expect(() => ReferenceGrammar.parse('root ::= root{0} "a"')).not.toThrow();
  });

  it('refuses empty classes', () => {
    expectRefusal('root ::= "a" []', 1, 14, /empty class/);
    expectRefusal('root ::=\n [^]', 2, 2, /empty class/);
    expectRefusal('root ::= [a-cz-x]', 1, 14, /empty class: a range runs backwards/);
    expectRefusal(String.raw`root ::= [^\x00-\U0010FFFF]`, 1, 10, /empty class/);
  });

  it('refuses repetition bounds over 1000 or with m < n', () => {
    expectRefusal('root ::= "a"{1001}', 1, 13, /over the limit of 1000/);
    expectRefusal('root ::= "a"{2,1001}', 1, 13, /over the limit/);
    expectRefusal('root ::= "a"{1001,}', 1, 13, /over the limit/);
    expectRefusal('root ::=\n  "a"{3,2}', 2, 6, /maximum below its minimum/);
    expectRefusal('root ::= "a"{,2}', 1, 13, /malformed repetition/);
    expectRefusal('root ::= "a"{2', 1, 13, /malformed repetition/);
    expectRefusal('root ::= *', 1, 10, /nothing before it/);
  });

  it('refuses malformed escapes', () => {
    expectRefusal(String.raw`root ::= "a\q"`, 1, 12, /malformed escape/);
    expectRefusal(String.raw`root ::= "\x4"`, 1, 11, /needs 2 hex digits/);
    expectRefusal(String.raw`root ::= [\u12G4]`, 1, 11, /needs 4 hex digits/);
    expectRefusal(String.raw`root ::= "\U00110000"`, 1, 11, /beyond U\+10FFFF/);
    expectRefusal(String.raw`root ::= "\uD800"`, 1, 11, /surrogate/);
  });

  it('refuses unterminated literals, classes and groups at their opening', () => {
    expectRefusal('root ::= "a" "bc', 1, 14, /unterminated literal/);
    expectRefusal('root ::= [a-z\n', 1, 10, /unterminated class/);
    expectRefusal('root ::= ("a" | ("b")\nx ::= "c"', 1, 10, /unterminated group/);
    expectRefusal('root ::= "a")', 1, 13, /unmatched '\)'/);
  });

  it('refuses text that is not a rule', () => {
    expectRefusal('  "a"', 1, 3, /expected a rule name/);
    expectRefusal('root "a"', 1, 6, /expected '::='/);
    expectRefusal('root ::= "a" ; ', 1, 14, /unexpected ';'/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Grammars without recursion against JavaScript's RegExp (with the u flag: over code points).

type Node =
  | { kind: 'lit'; text: string }
  | { kind: 'class'; negated: boolean; items: [string, string][] }
  | { kind: 'dot' }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'rep'; item: Node; min: number; max: number | undefined };

/** One letter of each UTF-8 length, plus characters that need escaping in both notations. */
const alphabet = ['a', 'b', '-', '"', ']', '\\', 'é', '一', '😀'];
const letter = fc.constantFrom(...alphabet);

const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('lit' as const), text: fc.string({ unit: letter, maxLength: 3 }) }),
    fc.record({
      kind: fc.constant('class' as const),
      negated: fc.boolean(),
      items: fc.array(
        fc.tuple(letter, letter).map(([a, b]): [string, string] => (a <= b ? [a, b] : [b, a])),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    fc.constant({ kind: 'dot' as const }),
    fc.record({ kind: fc.constant('seq' as const), items: fc.array(tie('node'), { maxLength: 3 }) }),
    fc.record({
      kind: fc.constant('alt' as const),
      options: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
    }),
    fc
      .record({ item: tie('node'), min: fc.nat(2), extra: fc.option(fc.nat(2)) })
      .map(({ item, min, extra }) => ({
        kind: 'rep' as const,
        item,
        min,
        max: extra === null ? undefined : min + extra,
      })),
  ),
})).node;

const grammarEscape = (c: string) => (['"', ']', '\\', '-', '['].includes(c) ? `\\${c}` : c);
const regexEscape = (c: string) => (/[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c);
const regexClassEscape = (c: string) => (/[\\\][^-]/.test(c) ? `\\${c}` : c);

function toGrammar(n: Node): string {
  switch (n.kind) {
    case 'lit':
      return `"${[...n.text].map(grammarEscape).join('')}"`;
    case 'class':
      return `[${n.negated ? '^' : ''}${n.items.map(([a, b]) => (a === b ? grammarEscape(a) : `${grammarEscape(a)}-${grammarEscape(b)}`)).join('')}]`;
    case 'dot':
      return '.';
    case 'seq':
      return `(${n.items.map(toGrammar).join(' ')})`;
    case 'alt':
      return `(${n.options.map(toGrammar).join(' | ')})`;
    case 'rep':
      return `(${toGrammar(n.item)}){${n.min},${n.max ?? ''}}`;
  }
}

function toRegex(n: Node): string {
  switch (n.kind) {
    case 'lit':
      return `(?:${[...n.text].map(regexEscape).join('')})`;
    case 'class':
      return `[${n.negated ? '^' : ''}${n.items.map(([a, b]) => `${regexClassEscape(a)}-${regexClassEscape(b)}`).join('')}]`;
    case 'dot':
      return '[^]';
    case 'seq':
      return `(?:${n.items.map(toRegex).join('')})`;
    case 'alt':
      return `(?:${n.options.map(toRegex).join('|')})`;
    case 'rep':
      return `(?:${toRegex(n.item)}){${n.min},${n.max ?? ''}}`;
  }
}

/** A random string the node matches, drawn with `pick` (an index source in [0, n)). */
function sample(n: Node, pick: (count: number) => number): string {
  switch (n.kind) {
    case 'lit':
      return n.text;
    case 'class':
    case 'dot': {
      const fits = [...alphabet, 'x', 'é', '中'].filter((c) => new RegExp(`^${toRegex(n)}$`, 'u').test(c));
      return fits[pick(fits.length)] ?? '';
    }
    case 'seq':
      return n.items.map((item) => sample(item, pick)).join('');
    case 'alt':
      return sample(n.options[pick(n.options.length)] as Node, pick);
    case 'rep': {
      const times = n.min + pick((n.max ?? n.min + 2) - n.min + 1);
      return Array.from({ length: times }, () => sample(n.item, pick)).join('');
    }
  }
}

describe('ReferenceGrammar against RegExp on grammars without recursion', () => {
  it('accepts exactly what the equivalent regular expression matches, and every prefix of a match', () => {
    fc.assert(
      fc.property(
        node,
        fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
        fc.array(fc.string({ unit: letter, maxLength: 6 }), { maxLength: 6 }),
        (tree, choices, others) => {
          const grammar = ReferenceGrammar.parse(`root ::= item\nitem ::= ${toGrammar(tree)}`);
          const regex = new RegExp(`^${toRegex(tree)}$`, 'u');
          let next = 0;
          const pick = (count: number) =>
            count === 0 ? 0 : (choices[next++ % choices.length] as number) % count;
          const match = sample(tree, pick);
          for (const text of [match, ...others])
            expect(grammar.accepts(text), `${toGrammar(tree)} on ${JSON.stringify(text)}`).toBe(
              regex.test(text),
            );
          if (regex.test(match)) {
            const bytes = utf8(match);
            for (let end = 0; end <= bytes.length; end += 1)
              expect(grammar.acceptsPrefix(bytes.subarray(0, end))).toBe(true);
          }
        },
      ),
      { numRuns: fuzzRuns(300) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// A JSON grammar against JSON.stringify and JSON.parse.

const jsonGrammar = String.raw`
root   ::= ws value ws
value  ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ws ( member ( ws "," ws member )* ws )? "}"
member ::= string ws ":" ws value
array  ::= "[" ws ( value ( ws "," ws value )* ws )? "]"
string ::= "\"" ( [^"\\\x00-\x1f] | "\\" ["\\/bfnrt] | "\\u" [0-9a-fA-F]{4} )* "\""
number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
ws     ::= [ \t\n\r]*
`;

const jsonParses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe('ReferenceGrammar: a JSON grammar', () => {
  const json = ReferenceGrammar.parse(jsonGrammar);

  it('accepts JSON.stringify of random values, compact and indented, and every prefix of them', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), (value, indent) => {
        const text = JSON.stringify(value, null, indent ? 2 : undefined);
        expect(json.accepts(text), text).toBe(true);
        const bytes = utf8(text);
        const cut = Math.floor(bytes.length / 2);
        expect(json.acceptsPrefix(bytes.subarray(0, cut))).toBe(true);
        expect(json.allowedNextBytes(bytes.subarray(0, cut)).has(bytes[cut] as number)).toBe(true);
      }),
      { numRuns: fuzzRuns(100) },
    );
  });

  it('agrees with JSON.parse on mutated JSON text', () => {
    const mutations = fc.array(
      fc.record({
        at: fc.nat(),
        remove: fc.boolean(),
        insert: fc.constantFrom(
          '{',
          '}',
          '[',
          ']',
          ',',
          ':',
          '"',
          '\\',
          ' ',
          '0',
          '-',
          '.',
          'e',
          '+',
          'a',
          'é',
          'u',
        ),
      }),
      { minLength: 1, maxLength: 3 },
    );
    let rejected = 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), mutations, (value, edits) => {
        // Code points, so an edit never splits a surrogate pair.
        const chars = [...JSON.stringify(value)];
        for (const { at, remove, insert } of edits) {
          const index = at % (chars.length + 1);
          if (remove && chars.length > 0) chars.splice(index % chars.length, 1);
          else chars.splice(index, 0, insert);
        }
        const text = chars.join('');
        const valid = jsonParses(text);
        if (!valid) rejected += 1;
        expect(json.accepts(text), text).toBe(valid);
      }),
      { numRuns: fuzzRuns(300) },
    );
    expect(rejected).toBeGreaterThan(0);
  });
});
