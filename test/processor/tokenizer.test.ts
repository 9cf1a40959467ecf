/** The tokenizer reproduces the fixture's ids and decoded strings exactly (golden/tokenizer/cases.json). */
import { describe, expect, it } from 'vitest';
import { HfTokenizer } from '../../lib/processor/tokenizer.js';
import { goldenPath, readJson } from '../support/golden.js';

interface TokenizerCases {
  bos: number;
  eos: number;
  image: number;
  cases: { text: string; ids: number[]; decoded: string }[];
}

const golden = readJson<TokenizerCases>('tokenizer', 'cases.json');
const tokenizer = await HfTokenizer.load(goldenPath('tokenizer', 'tokenizer.json'));

describe('DeepSeek tokenizer', () => {
  it('knows the special ids', () => {
    expect([tokenizer.bosId, tokenizer.eosId, tokenizer.imageId]).toEqual([
      golden.bos,
      golden.eos,
      golden.image,
    ]);
  });

  it.each(golden.cases.map((c) => [JSON.stringify(c.text), c] as const))('encodes and decodes %s', (_, c) => {
    expect(tokenizer.encode(c.text)).toEqual(c.ids);
    expect(tokenizer.decode(c.ids)).toBe(c.decoded);
  });
});
