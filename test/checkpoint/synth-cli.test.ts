/** `vl2 synth` as a user runs it: the files of a real checkpoint, and typed refusals of bad options. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../lib/checkpoint/index.js';
import { vl2, workFolder } from '../support/cli.js';

const work = await workFolder('vl2-synth-cli-');

describe('vl2 synth', () => {
  it('writes a checkpoint with the files a published one has, which then validates', async () => {
    const out = join(work, 'tiny');
    const { stdout } = await vl2('synth', '--variant', 'tiny', '--out', out, '--layers', '1', '--seed', '3');
    expect(stdout).toMatch(/wrote tiny \(1 shards, [\d.]+ GiB\)/);
    expect((await readdir(out)).sort()).toEqual([
      'config.json',
      'model-00001-of-00001.safetensors',
      'model.safetensors.index.json',
      'processor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const table = await openCheckpoint(out);
    expect(table.modelConfig.language.numHiddenLayers).toBe(1);
    expect(table.modelConfig.language.hiddenSize).toBe(1280);
  });

  it('refuses an unknown variant and a bad seed by name', async () => {
    await expect(vl2('synth', '--variant', 'huge', '--out', join(work, 'x'))).rejects.toMatchObject({
      stderr: expect.stringMatching(/--variant must be one of tiny, small, base/),
    });
    await expect(
      vl2('synth', '--variant', 'tiny', '--out', join(work, 'x'), '--seed', 'abc'),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/--seed must be a non-negative integer/) });
    await expect(
      vl2('synth', '--variant', 'tiny', '--out', join(work, 'x'), '--layers', '0'),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/layers must be a positive integer/) });
  });
});
