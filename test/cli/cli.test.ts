/** The vl2 command line, run as a user runs it (through tsx, so it needs no build step). */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { goldenPath } from '../support/golden.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..', '..');
const vl2 = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(root, 'lib', 'cli', 'main.ts'), ...args], { cwd: root });
const work = await mkdtemp(join(tmpdir(), 'vl2-cli-'));
afterAll(() => rm(work, { recursive: true, force: true }));

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
    expect((await stat(boxes)).size).toBeGreaterThan(0);
  });

  it('fails loudly with a typed message on a missing model', async () => {
    await expect(vl2('run', '--model', join(work, 'nothing'), 'hi')).rejects.toMatchObject({
      stderr: expect.stringMatching(/model directory not found.*VL2_CHECKPOINT/s),
    });
  });
});
