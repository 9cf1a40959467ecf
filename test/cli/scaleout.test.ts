/**
 * The scale-out flags of the command line refuse what cannot work, before any model loads: --gpus
 * where CUDA cannot run, a malformed --gpus list, --queue with flags that belong to the workers,
 * a queue address that is not redis://HOST:PORT/NAME, a Redis that does not answer.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backends } from '../../lib/backends.js';
import { vl2, workFolder } from '../support/cli.js';
import { goldenPath } from '../support/golden.js';

const work = await workFolder('vl2-scaleout-');
const cuda = backends().find((b) => b.name === 'cuda');

describe('vl2 scale-out flags', () => {
  it('refuses bad --gpus and --queue combinations with typed messages', async () => {
    const input = join(work, 'in.jsonl');
    await writeFile(input, `${JSON.stringify({ id: 'a', prompt: 'hi' })}\n`);
    const io = ['--input', input, '--output', join(work, 'out.jsonl')];
    const tiny = goldenPath('models', 'tiny');
    await expect(vl2('batch', '--model', tiny, '--gpus', '0,x', ...io)).rejects.toMatchObject({
      stderr: expect.stringMatching(/--gpus takes 'all' or GPU indices.*VL2_INVALID_ARGUMENT/s),
    });
    await expect(vl2('batch', '--model', tiny, '--queue', 'redis://h:1/q', ...io)).rejects.toMatchObject({
      stderr: expect.stringMatching(/with --queue the workers load the model/),
    });
    await expect(vl2('batch', '--queue', 'h:6379/q', ...io)).rejects.toMatchObject({
      stderr: expect.stringMatching(/expected redis:\/\/HOST:PORT\/NAME/),
    });
    await expect(vl2('batch', ...io)).rejects.toMatchObject({
      stderr: expect.stringMatching(/batch needs --model \(or --queue\)/),
    });
    // Nothing listens on port 1: both sides say so at once instead of retrying forever.
    const unreachable = /cannot reach the queue's Redis at 127\.0\.0\.1:1 \(connect ECONNREFUSED.*VL2_QUEUE/s;
    await expect(vl2('batch', '--queue', 'redis://127.0.0.1:1/q', ...io)).rejects.toMatchObject({
      stderr: expect.stringMatching(unreachable),
    });
    await expect(vl2('worker', '--queue', 'redis://127.0.0.1:1/q', '--model', tiny)).rejects.toMatchObject({
      stderr: expect.stringMatching(unreachable),
    });
    if (!cuda?.available)
      await expect(vl2('batch', '--model', tiny, '--gpus', 'all', ...io)).rejects.toMatchObject({
        stderr: expect.stringMatching(
          /cudaDevices 'all' needs CUDA, which is not available here: \S.*VL2_UNSUPPORTED/s,
        ),
      });
  });
});
