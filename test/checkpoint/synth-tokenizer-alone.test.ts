/**
 * `vl2 synth --tokenizer FILE` with a tokenizer.json that has no tokenizer_config.json beside it: the
 * checkpoint gets DeepSeek-VL2's config (the loader decodes with it), and a tokenizer file that cannot
 * be used is refused before any weight is written.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../lib/errors.js';
import { HfTokenizer } from '../../lib/processor/tokenizer.js';
import { writeSyntheticCheckpoint } from '../../lib/synth/write-checkpoint.js';
import { vl2, workFolder } from '../support/cli.js';
import { goldenPath, readJson } from '../support/golden.js';

interface TokenizerCases {
  cases: { text: string; ids: number[]; decoded: string }[];
}

const work = await workFolder('vl2-synth-tokenizer-alone-');
const cases = readJson<TokenizerCases>('tokenizer', 'cases.json');

/** A folder holding only `tokenizer.json` with the given content (the fixture's when omitted). */
async function tokenizerAlone(name: string, content?: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'tokenizer.json');
  if (content === undefined) await copyFile(goldenPath('tokenizer', 'tokenizer.json'), file);
  else await writeFile(file, content);
  return file;
}

describe('synth with a tokenizer.json alone', () => {
  it("writes DeepSeek-VL2's tokenizer_config.json, with which the checkpoint's tokenizer decodes as the reference", async () => {
    const out = join(work, 'alone-out');
    const tokenizerJson = await tokenizerAlone('alone');
    await vl2('synth', '--variant', 'tiny', '--layers', '1', '--tokenizer', tokenizerJson, '--out', out);
    expect(await readdir(out)).toEqual(expect.arrayContaining(['tokenizer.json', 'tokenizer_config.json']));
    expect(JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8'))).toEqual(
      JSON.parse(await readFile(goldenPath('tokenizer', 'tokenizer_config.json'), 'utf8')),
    );
    const tokenizer = await HfTokenizer.load(join(out, 'tokenizer.json'));
    for (const c of cases.cases) {
      expect(tokenizer.encode(c.text), c.text).toEqual(c.ids);
      expect(tokenizer.decode(c.ids), c.text).toBe(c.decoded);
    }
  });

  it('refuses a tokenizer file that is not JSON by name, before writing any weights', async () => {
    const broken = await tokenizerAlone('broken', '{"added_tokens": [');
    const out = join(work, 'broken-out');
    // Toy width: its 1024-id vocabulary could not take this tokenizer anyway, but the file is read first.
    const refusal = writeSyntheticCheckpoint({ variant: 'tiny', toy: true, out, tokenizerJson: broken });
    await expect(refusal).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(refusal).rejects.toThrow(broken);
    const written = await readdir(out).catch(() => []);
    expect(written.filter((name) => name.endsWith('.safetensors'))).toEqual([]);
  });
});
