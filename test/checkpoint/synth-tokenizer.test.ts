/**
 * The tokenizer files of synthetic checkpoints: Tiny and Base keep the fixture tokenizer as it is;
 * Small's (102400 ids) is derived from it, and every id it can emit must fit that embedding table
 * while text still round-trips through @huggingface/tokenizers.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HfTokenizer } from '../../lib/processor/tokenizer.js';
import { readTokenizerFiles, writeTokenizerFiles } from '../../lib/synth/tokenizer-files.js';
import { goldenPath, readJson } from '../support/golden.js';

interface TokenizerCases {
  bos: number;
  eos: number;
  pad: number;
  cases: { text: string; ids: number[]; decoded: string }[];
}

const fixture = goldenPath('tokenizer', 'tokenizer.json');
const cases = readJson<TokenizerCases>('tokenizer', 'cases.json');
const specialTokens = [
  '<image>',
  '<|ref|>',
  '<|/ref|>',
  '<|det|>',
  '<|/det|>',
  '<|grounding|>',
  '<|User|>',
  '<|Assistant|>',
];
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vl2-synth-tokenizer-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function fitted(vocabSize: number): Promise<{ dir: string; tokenizer: HfTokenizer }> {
  const dir = join(work, String(vocabSize));
  await mkdir(dir, { recursive: true });
  await writeTokenizerFiles(await readTokenizerFiles(fixture, vocabSize), dir);
  return { dir, tokenizer: await HfTokenizer.load(join(dir, 'tokenizer.json')) };
}

describe('synthetic tokenizer files', () => {
  it('keep the fixture tokenizer unchanged for the 129280-id vocabulary (Tiny, Base)', async () => {
    const { dir, tokenizer } = await fitted(129280);
    expect(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'))).toEqual(
      JSON.parse(await readFile(fixture, 'utf8')),
    );
    for (const c of cases.cases) expect(tokenizer.encode(c.text)).toEqual(c.ids);
  });

  it('fit every id of Small under 102400, renumbering the special tokens to the top', async () => {
    const { dir, tokenizer } = await fitted(102400);
    const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as {
      added_tokens: { id: number; content: string }[];
      model: { vocab: Record<string, number>; merges: string[] };
    };
    const ids = [...Object.values(json.model.vocab), ...json.added_tokens.map((t) => t.id)];
    expect(Math.max(...ids)).toBeLessThan(102400);
    // Every id names one token: the vocabulary and the added tokens share ids only for BOS/EOS/pad.
    const byId = new Map<number, string>();
    for (const [token, id] of Object.entries(json.model.vocab)) byId.set(id, token);
    for (const t of json.added_tokens) {
      const previous = byId.get(t.id);
      expect(previous === undefined || previous === t.content, `id ${t.id}`).toBe(true);
    }
    // Every merge still produces a token of the vocabulary from two tokens of the vocabulary.
    const brokenMerges = json.model.merges.filter((merge) => {
      const [a, b] = merge.split(' ') as [string, string];
      return [a, b, `${a}${b}`].some((token) => json.model.vocab[token] === undefined);
    });
    expect(brokenMerges).toEqual([]);
    expect(json.model.merges.length).toBeGreaterThan(90000);
    // BOS, EOS and pad sit at the bottom of both vocabularies and keep their ids.
    expect(tokenizer.bosId).toBe(cases.bos);
    expect(tokenizer.eosId).toBe(cases.eos);
    expect(tokenizer.tokenId('<｜▁pad▁｜>')).toBe(cases.pad);
    for (const special of specialTokens) {
      const id = tokenizer.tokenId(special) as number;
      expect(id, special).toBeGreaterThanOrEqual(102400 - json.added_tokens.length);
      expect(id, special).toBeLessThan(102400);
      expect(tokenizer.encode(`a ${special} b`), special).toContain(id);
    }
    expect(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')).toBe(
      await readFile(goldenPath('tokenizer', 'tokenizer_config.json'), 'utf8'),
    );
  });

  it('encode and decode text with the Small tokenizer, every id under 102400', async () => {
    const { tokenizer } = await fitted(102400);
    const texts = [
      ...cases.cases.map((c) => c.text),
      '<|User|>: <image>\n<|ref|>the red car<|/ref|>.\n\n<|Assistant|>:',
      'Rare words: pneumonoultramicroscopicsilicovolcanoconiosis, 😀🚀, Ελληνικά, 한국어.',
    ];
    for (const text of texts) {
      const ids = tokenizer.encode(text);
      expect(ids.length, text).toBeGreaterThan(0);
      expect(Math.max(...ids), text).toBeLessThan(102400);
      expect(tokenizer.decode(ids), text).toBe(cases.cases.find((c) => c.text === text)?.decoded ?? text);
    }
  });
});
