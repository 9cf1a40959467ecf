/** Processor construction: config files of a model directory, a config given directly, bad configs refused. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, InvalidArgumentError } from '../../lib/errors.js';
import { ByteTokenizer, createProcessor } from '../../lib/processor/index.js';
import { goldenPath, readJson } from '../support/golden.js';

const dir = await mkdtemp(join(tmpdir(), 'vl2-processor-config-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const tokenizer = new ByteTokenizer(1024);
const golden = goldenPath('models', 'small');
const config = readJson<{ candidate_resolutions: [number, number][] }>('models', 'small', 'config.json');
const processorConfig = readJson<{ image_mean: number[] }>('models', 'small', 'processor_config.json');

/** A copy of the golden model's config files with processor_config.json changed. */
async function modelDirWith(name: string, change: (p: Record<string, unknown>) => void): Promise<string> {
  const target = join(dir, name);
  await cp(join(golden, 'config.json'), join(target, 'config.json'));
  const processor = JSON.parse(await readFile(join(golden, 'processor_config.json'), 'utf8'));
  change(processor);
  await writeFile(join(target, 'processor_config.json'), JSON.stringify(processor));
  return target;
}

describe('createProcessor', () => {
  it('reads the candidates from config.json and the pad fill from image_mean', async () => {
    const processor = await createProcessor({ modelDir: golden, tokenizer });
    expect(processor.config.candidateResolutions).toEqual(config.candidate_resolutions);
    expect(processor.config.padColour).toEqual(processorConfig.image_mean.map((m) => Math.trunc(m * 255)));
  });

  it('pads with the configured fill', async () => {
    const modelDir = await modelDirWith('mean', (p) => {
      p.image_mean = [0, 0.5, 1];
    });
    const processor = await createProcessor({ modelDir, tokenizer });
    const wide = await sharp({ create: { width: 40, height: 10, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const prompt = await processor.process([{ role: 'user', content: '<image>', images: [wide] }]);
    // The global view's top-left pixel lies in the padding above the wide image.
    expect(Array.from(prompt.tiles.subarray(0, 3))).toEqual([0, 127, 255]);
  });

  it('builds from a config and tokenizer given directly', async () => {
    const processor = await createProcessor({
      config: { candidateResolutions: config.candidate_resolutions },
      tokenizer,
    });
    const prompt = await processor.process([{ role: 'user', content: 'hi' }]);
    expect(Array.from(prompt.inputIds)).toEqual([
      tokenizer.bosId,
      ...tokenizer.encode('<|User|>: hi\n\n<|Assistant|>:'),
    ]);
  });

  it('refuses bad or inconsistent configs with typed errors', async () => {
    await expect(
      createProcessor({ config: { candidateResolutions: [[384, 500]] }, tokenizer }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(createProcessor({ modelDir: join(dir, 'absent'), tokenizer })).rejects.toBeInstanceOf(
      CheckpointError,
    );
    const disagreeing = await modelDirWith('disagree', (p) => {
      p.candidate_resolutions = [[384, 384]];
    });
    await expect(createProcessor({ modelDir: disagreeing, tokenizer })).rejects.toThrow(/disagree/);
    const badMean = await modelDirWith('bad-mean', (p) => {
      p.image_mean = 'grey';
    });
    await expect(createProcessor({ modelDir: badMean, tokenizer })).rejects.toBeInstanceOf(CheckpointError);
  });
});
