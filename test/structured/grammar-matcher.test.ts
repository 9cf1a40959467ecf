/**
 * The engine's grammar matcher (native/grammar) against the reference recognizer
 * (test/support/grammar-reference.ts): over a byte vocabulary the tokens it allows after every
 * prefix of random walks are exactly the bytes the reference allows, and it says "complete" exactly
 * where the reference accepts; over the real DeepSeek vocabulary (129,280 tokens, multi-byte and
 * split UTF-8 pieces) sampled tokens are allowed exactly when the reference accepts prefix + token.
 * Refusals carry their line and column; special tokens are allowed only where the format names them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../bench/support/prompts.js';
import { nativeAddon } from '../../lib/engine/addon.js';
import type { NativeGrammar, NativeVocabulary } from '../../lib/engine/native-types.js';
import { ConstraintError } from '../../lib/errors.js';
import { ByteTokenizer, HfTokenizer } from '../../lib/processor/index.js';
import { FormatCompiler } from '../../lib/structured/format-compiler.js';
import { goldenPath } from '../support/golden.js';
import { ReferenceGrammar } from '../support/grammar-reference.js';

const grammars: Record<string, string> = {
  json: String.raw`
root   ::= ws value ws
value  ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ws ( pair ( ws "," ws pair )* )? ws "}"
pair   ::= string ws ":" ws value
array  ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
number ::= "-"? ( "0" | [1-9] [0-9]{0,6} ) ( "." [0-9]{1,4} )?
ws     ::= [ \t\n]{0,2}
string ::= "\"" ( [^"\\\x00-\x1f] | "\\" ["\\/bfnrt] | "\\u" [0-9a-fA-F]{4} ){0,12} "\""`,
  ambiguous: String.raw`root ::= ( "ab" | "a" "b"? | [a-c]+ ) ( "c" | "cc" )?  # several parses of one text`,
  utf8: String.raw`root ::= ( [一-龥] | [α-ω] | . ){1,4} "!"`,
  recursion: String.raw`
root ::= expr
expr ::= term ( [+*] term )*
term ::= [0-9] | "(" expr ")"`,
  rightRecursive: String.raw`root ::= "x" root | "y"  # a tail call: constant stack depth`,
  nullable: String.raw`root ::= a b "z"
a ::= "a"?
b ::= a a "b"*`,
};

let addon: ReturnType<typeof nativeAddon>;
let bytesVocab: NativeVocabulary;
const bytes = new ByteTokenizer(1024);

beforeAll(async () => {
  addon = nativeAddon();
  const packed = bytes.tokenBytes(1024);
  bytesVocab = await addon.createVocabulary(packed.bytes, packed.offsets, packed.special);
});

/** Token ids the mask allows. */
function allowedIds(mask: Uint32Array): number[] {
  const ids: number[] = [];
  mask.forEach((word, w) => {
    for (let b = 0; b < 32; b++) if ((word >>> b) & 1) ids.push(w * 32 + b);
  });
  return ids;
}

describe('grammar matcher against the reference, byte vocabulary', () => {
  for (const [name, text] of Object.entries(grammars)) {
    it(`${name}: allowed bytes and completeness after every prefix of random walks`, async () => {
      const reference = ReferenceGrammar.parse(text);
      const grammar = await addon.compileGrammar(text, bytesVocab, new Int32Array());
      const random = seededRandom(name.length * 7919);
      let steps = 0;
      for (let walk = 0; walk < 12; walk++) {
        let state = grammar.initial();
        const prefix: number[] = [];
        for (let step = 0; step < 40; step++) {
          const want = [...reference.allowedNextBytes(Uint8Array.from(prefix))].sort((a, b) => a - b);
          const got = allowedIds(grammar.allowed(state)).map((id) => id - 3);
          expect(got, `${name} after ${JSON.stringify(Buffer.from(prefix).toString('latin1'))}`).toEqual(
            want,
          );
          expect(grammar.complete(state)).toBe(reference.accepts(Uint8Array.from(prefix)));
          steps++;
          if (want.length === 0) break;
          const byte = want[Math.floor(random() * want.length)] as number;
          prefix.push(byte);
          state = grammar.afterToken(state, byte + 3);
          expect(state).not.toBe(0);
        }
        // A byte outside the allowed set leads nowhere.
        const refused = [...Array(256).keys()].find(
          (b) => !reference.allowedNextBytes(Uint8Array.from(prefix)).has(b),
        );
        if (refused !== undefined) expect(grammar.afterToken(state, refused + 3)).toBe(0);
      }
      expect(steps).toBeGreaterThan(30); // every walk took steps, not only the first
    });
  }
});

describe('grammar matcher against the reference, the real DeepSeek vocabulary', () => {
  let tokenizer: HfTokenizer;
  let vocabulary: NativeVocabulary;
  const size = 129_280;

  beforeAll(async () => {
    tokenizer = await HfTokenizer.load(goldenPath('tokenizer', 'tokenizer.json'));
    const packed = tokenizer.tokenBytes(size);
    vocabulary = await addon.createVocabulary(packed.bytes, packed.offsets, packed.special);
  });

  it('sampled tokens are allowed exactly when the reference accepts prefix + token', async () => {
    const text = grammars.json as string;
    const reference = ReferenceGrammar.parse(text);
    const grammar = await addon.compileGrammar(text, vocabulary, new Int32Array());
    const packed = tokenizer.tokenBytes(size);
    const bytesOf = (id: number) => packed.bytes.subarray(packed.offsets[id], packed.offsets[id + 1]);
    const random = seededRandom(12345);
    const documents = ['{"a": [1, -2.5, "x\\n"], "b\\u00e9": {}}', '["世界", true, null, {"k": "v"}]'];
    let compared = 0;
    let allowedSeen = 0;
    for (const document of documents) {
      const ids = tokenizer.encode(document);
      let state = grammar.initial();
      const prefix: number[] = [];
      for (const id of ids) {
        const mask = grammar.allowed(state);
        const allowed = allowedIds(mask);
        // Every allowed token, sampled, and random tokens (mostly refused), both checked.
        const sample = [
          ...Array.from({ length: 40 }, () => allowed[Math.floor(random() * allowed.length)] as number),
          ...Array.from({ length: 40 }, () => Math.floor(random() * 128_000)),
          id,
        ];
        for (const token of sample) {
          const candidate = Uint8Array.from([...prefix, ...bytesOf(token)]);
          const want = bytesOf(token).length > 0 && reference.acceptsPrefix(candidate);
          const got = ((mask[token >> 5] as number) >>> (token & 31)) & 1;
          expect(
            Boolean(got),
            `token ${token} ${JSON.stringify(tokenizer.decode([token]))} after ${JSON.stringify(Buffer.from(prefix).toString())}`,
          ).toBe(want);
          if (got) allowedSeen++;
          compared++;
        }
        prefix.push(...bytesOf(id));
        state = grammar.afterToken(state, id);
        expect(state).not.toBe(0);
      }
      expect(grammar.complete(state)).toBe(true);
    }
    expect(compared).toBeGreaterThan(1000);
    expect(allowedSeen).toBeGreaterThan(500);
  });

  it('special tokens: refused unless the format names them, then allowed by their text', async () => {
    const ref = tokenizer.tokenId('<|ref|>') as number;
    const image = tokenizer.imageId;
    const text = String.raw`root ::= "<|ref|>" [a-z]+ "<|/ref|>" | [<a-z|>]+`;
    const plain = await addon.compileGrammar(text, vocabulary, new Int32Array());
    const bit = (g: NativeGrammar, id: number) =>
      ((g.allowed(g.initial())[id >> 5] as number) >>> (id & 31)) & 1;
    expect(bit(plain, ref)).toBe(0);
    const named = await addon.compileGrammar(text, vocabulary, Int32Array.of(ref));
    expect(bit(named, ref)).toBe(1);
    expect(bit(named, image)).toBe(0); // `<image>` spells allowed bytes, but no format named it
    expect(named.afterToken(named.initial(), ref)).not.toBe(0);
  });

  it('the format compiler keeps one compiled grammar per schema and vocabulary', async () => {
    const compiler = new FormatCompiler(tokenizer, size);
    const schema = { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] };
    const first = await compiler.compile({ type: 'json_schema', schema });
    const again = await compiler.compile({ type: 'json_schema', schema: structuredClone(schema) });
    expect(again).toBe(first);
    expect(await compiler.compile({ type: 'text' })).toBeUndefined();
  });
});

describe('grammar refusals', () => {
  const cases: [string, string, number, number][] = [
    ['root ::= a', 'is not defined', 1, 10],
    ['root ::= "a"\nroot ::= "b"', 'defined twice', 2, 1],
    ['start ::= "a"', 'no root rule', 1, 1],
    ['root ::= root "a" | "b"', 'left-recursive', 1, 1],
    ['root ::= x\nx ::= y "c" | "d"\ny ::= "e"? x', 'left-recursive', 2, 1],
    ['root ::= "x" root', 'can never end', 1, 1],
    ['root ::= []', 'empty character class', 1, 10],
    ['root ::= [^]', 'empty character class', 1, 10],
    ['root ::= "a"{3,2}', 'm < n', 1, 13],
    ['root ::= "a"{1001}', 'over 1000', 1, 17],
    ['root ::= "\\q"', 'unknown escape', 1, 11],
    ['root ::= "\\uD800"', 'no Unicode scalar', 1, 11],
    ['root ::= "abc', 'unterminated literal', 1, 10],
    ['root ::= [abc', 'unterminated character class', 1, 10],
    ['root ::= ("a"', 'expected )', 1, 14],
    ['root ::= "a" )', 'unmatched )', 1, 14],
  ];
  for (const [text, why, line, column] of cases) {
    it(`${JSON.stringify(text)}: ${why} at ${line}:${column}`, async () => {
      const failure = await addon.compileGrammar(text, bytesVocab, new Int32Array()).catch((e) => e);
      expect(failure.code).toBe('VL2_CONSTRAINT');
      expect(failure.message).toContain(why);
      expect(failure.message).toMatch(new RegExp(`^line ${line}, column ${column}:`));
    });
  }

  it('the format compiler turns them into ConstraintError with line and column', async () => {
    const compiler = new FormatCompiler(bytes, 1024);
    const failure = await compiler
      .compile({ type: 'grammar', grammar: 'root ::= "a"\n  | undefinedRule' })
      .catch((e) => e);
    expect(failure).toBeInstanceOf(ConstraintError);
    expect([failure.line, failure.column]).toEqual([2, 5]);
  });
});
