/**
 * The model a bench runs on: the directory given with --model, or a synthetic variant at real width
 * written to a temporary folder (and removed by cleanup()).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { VariantName } from '../../lib/synth/variants.js';
import { writeSyntheticCheckpoint } from '../../lib/synth/write-checkpoint.js';

const fixtureTokenizerPath = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'shared',
  'golden',
  'tokenizer',
  'tokenizer.json',
);

/** The fixture tokenizer.json when the workspace has it (synthetic checkpoints then get tokenizer files). */
export function fixtureTokenizer(): string | undefined {
  return existsSync(fixtureTokenizerPath) ? fixtureTokenizerPath : undefined;
}

export async function benchModel(
  given: string | undefined,
  layers: number,
  variant: VariantName = 'tiny',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  if (given) return { dir: given, cleanup: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'vl2-bench-'));
  process.stderr.write(`writing a synthetic ${variant} with ${layers} layers to ${dir}\n`);
  await writeSyntheticCheckpoint({
    variant,
    out: dir,
    layers,
    seed: 1,
    tokenizerJson: fixtureTokenizer(),
  });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
