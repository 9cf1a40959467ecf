/**
 * Fuzz: tokenizer.json loading (lib/processor/tokenizer.ts). The fixture tokenizer is cut to its
 * first 1000 vocabulary ids (the merges among them and every added token kept) so a run parses in
 * milliseconds; each run mutates, cuts or replaces that JSON. HfTokenizer.load either gives a working
 * tokenizer or refuses with a CheckpointError; never another exception. The unmutated tokenizer
 * encodes and decodes any text (byte-level BPE: the round trip is exact).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../../lib/errors.js';
import { HfTokenizer } from '../../lib/processor/tokenizer.js';
import { goldenPath } from '../support/golden.js';
import { fuzzRuns, jsonishText } from './arbitraries.js';

const keptIds = 1000;
const full = JSON.parse(readFileSync(goldenPath('tokenizer', 'tokenizer.json'), 'utf8'));
const vocab = Object.fromEntries(
  Object.entries(full.model.vocab as Record<string, number>).filter(([, id]) => id < keptIds),
);
const merges = (full.model.merges as string[]).filter((merge) => {
  const [a, b] = merge.split(' ') as [string, string];
  return a in vocab && b in vocab && `${a}${b}` in vocab;
});
const small = { ...full, model: { ...full.model, vocab, merges } };
const dir = mkdtempSync(join(tmpdir(), 'vl2-fuzz-tok-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fuzz: tokenizer.json', () => {
  it('any tokenizer.json loads into a working tokenizer or is refused with a CheckpointError', async () => {
    let file = 0;
    await fc.assert(
      fc.asyncProperty(jsonishText(small), fc.string({ maxLength: 40 }), async (text, sample) => {
        const path = join(dir, `tokenizer-${file++}.json`);
        writeFileSync(path, text);
        let tokenizer: HfTokenizer;
        try {
          tokenizer = await HfTokenizer.load(path);
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
          return;
        } finally {
          rmSync(path, { force: true });
        }
        // A tokenizer that loaded may still be one the processor cannot use; what it does with text
        // must then be a typed refusal too, not a crash inside a chat.
        let ids: number[];
        try {
          ids = tokenizer.encode(sample);
          tokenizer.decode(ids);
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
          return;
        }
        expect(
          ids.every((id) => Number.isInteger(id) && id >= 0),
          JSON.stringify(ids),
        ).toBe(true);
      }),
      {
        numRuns: fuzzRuns(300),
        // Found by this property: JSON null, added_tokens that is not a list, a pre-tokenizer whose
        // behavior is not a string (failed on first encode, as a TypeError).
        examples: [
          ['null', ''],
          [JSON.stringify({ ...small, added_tokens: 5 }), 'a'],
        ],
      },
    );
  });

  it('the intact tokenizer round-trips any text', async () => {
    // Its own folder with the fixture's tokenizer_config.json (clean_up_tokenization_spaces: false).
    const own = mkdtempSync(join(dir, 'intact-'));
    const path = join(own, 'tokenizer.json');
    writeFileSync(path, JSON.stringify(small));
    writeFileSync(
      join(own, 'tokenizer_config.json'),
      readFileSync(goldenPath('tokenizer', 'tokenizer_config.json')),
    );
    const tokenizer = await HfTokenizer.load(path);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
        fc.pre(!text.includes('<'));
        expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
      }),
      { numRuns: fuzzRuns(500) },
    );
  });
});
