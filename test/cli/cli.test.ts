/** The vl2 command line, run as a user runs it (through tsx, so it needs no build step). */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backends } from '../../lib/backends.js';
import { vl2, workFolder } from '../support/cli.js';
import { goldenPath } from '../support/golden.js';

const work = await workFolder('vl2-cli-');

describe('vl2 CLI', () => {
  it('demo runs a random model end to end and reports throughput', async () => {
    const { stdout } = await vl2('demo', '--max-tokens', '16');
    expect(stdout).toMatch(/cpu: available/);
    expect(stdout).toMatch(/16 generated in \d+ chunks; first token \d+ ms, \d+ tokens\/s/);
  });

  it('run streams an answer about an image and draws its boxes', async () => {
    const boxes = join(work, 'boxes.png');
    const { stdout, stderr } = await vl2(
      'run',
      '--model',
      goldenPath('models', 'tiny'),
      '--tokenizer',
      goldenPath('tokenizer', 'tokenizer.json'),
      '--image',
      goldenPath('images', 'monday.jpg'),
      '--max-tokens',
      '6',
      '--boxes',
      boxes,
      'What day is it?',
    );
    expect(stdout.length).toBeGreaterThan(0);
    expect(stderr).toMatch(/tokens, (length|stop)/);
    // The load line: where the model runs and how many tokens its KV cache holds.
    expect(stderr).toMatch(/(cpu \(cpu\)|cuda \(.+\)): KV cache \d+ tokens \(\d+ B\/token/);
    expect((await stat(boxes)).size).toBeGreaterThan(0);
  });

  // vl2 run takes the GPU where one answers, and cpuPrecision then applies to nothing.
  const onGpu = backends().some((b) => b.name === 'cuda' && b.available);
  it.skipIf(onGpu)(
    'runs the CPU precision --cpu-precision asks for, says so, and refuses other values',
    async () => {
      const cpu = backends().find((b) => b.name === 'cpu');
      const precision = cpu?.name === 'cpu' && cpu.kernels.bf16 ? 'bf16' : 'fp32';
      const model = goldenPath('models', 'tiny');
      const tokenizer = goldenPath('tokenizer', 'tokenizer.json');
      const args = ['run', '--model', model, '--tokenizer', tokenizer, '--max-tokens', '2'];
      const { stderr } = await vl2(...args, '--cpu-precision', precision, 'Hi');
      expect(stderr).toContain(
        `, ${precision} on ${precision === 'bf16' ? 'avx512-bf16' : cpu?.name === 'cpu' && cpu.kernels.fp32} kernels`,
      );
      await expect(vl2(...args, '--cpu-precision', 'fp16', 'Hi')).rejects.toMatchObject({
        stderr: expect.stringMatching(/--cpu-precision takes 'fp32' or 'bf16', got 'fp16'/),
      });
    },
  );

  it('fails loudly with a typed message on a missing model', async () => {
    await expect(vl2('run', '--model', join(work, 'nothing'), 'hi')).rejects.toMatchObject({
      stderr: expect.stringMatching(/model directory not found.*VL2_CHECKPOINT/s),
    });
  });
});

describe('vl2 batch', () => {
  it('writes a result per request, records failures, and resumes without redoing finished ids', async () => {
    const { writeFile, readFile } = await import('node:fs/promises');
    const input = join(work, 'requests.jsonl');
    const output = join(work, 'results.jsonl');
    const image = goldenPath('images', 'multi_image_2.jpeg');
    const lines = [
      { id: 'a', prompt: 'Describe.', images: [image], options: { maxTokens: 4 } },
      { id: 'b', prompt: 'Hello there.', options: { maxTokens: 4 } },
      { id: 'c', prompt: 'Broken image.', images: [join(work, 'missing.png')], options: { maxTokens: 4 } },
      { id: 'd', prompt: 'Bad option.', options: { maxTokens: 0 } },
    ];
    await writeFile(input, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const args = [
      'batch',
      '--model',
      goldenPath('models', 'tiny'),
      '--tokenizer',
      goldenPath('tokenizer', 'tokenizer.json'),
    ];
    await vl2(...args, '--input', input, '--output', output);
    const results = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const byId = new Map(results.map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(byId.get('a').usage.completionTokens).toBeGreaterThan(0);
    expect(byId.get('c').error.code).toBe('VL2_IMAGE');
    expect(byId.get('d').error.code).toBe('VL2_INVALID_ARGUMENT');
    // A second run finds every id done and appends nothing.
    const { stderr } = await vl2(...args, '--input', input, '--output', output);
    expect(stderr).toMatch(/0 requests to run \(4 already done/);
    expect((await readFile(output, 'utf8')).trim().split('\n')).toHaveLength(4);
  });
});
