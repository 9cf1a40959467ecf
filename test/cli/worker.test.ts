/**
 * Batch work over a real Redis: two `vl2 worker` processes (the built CLI in dist/, on the CPU)
 * serve the golden tiny model; `vl2 batch --queue` sends 200 requests. One worker is killed with
 * SIGKILL while it holds a job; its lock lapses, the other worker's stalled-job check puts the job
 * back, and every request still gets exactly one line, equal to what `vl2 batch` writes alone.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenPath } from '../support/golden.js';
import { type RedisServer, startRedis } from '../support/redis-server.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'esm', 'cli', 'main.js');
const model = [
  '--model',
  goldenPath('models', 'tiny'),
  '--tokenizer',
  goldenPath('tokenizer', 'tokenizer.json'),
];
const lineCount = 200;

let redis: RedisServer;
let work: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: build the TypeScript first (node scripts/build-ts.mjs)`);
  redis = await startRedis();
  work = await mkdtemp(join(tmpdir(), 'vl2-queue-'));
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await redis?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Starts `vl2 ARGS`; resolves once stderr shows `ready`, keeping what it printed. */
function startCli(args: string[], ready?: RegExp): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let log = '';
  child.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      if (ready?.test(log)) resolve({ child, log: () => log });
    });
    child.once('exit', (code) =>
      ready
        ? reject(new Error(`vl2 ${args[0]} exited with ${code} before it was ready:\n${log}`))
        : undefined,
    );
    if (!ready) resolve({ child, log: () => log });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

const readLines = async (file: string) =>
  (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { id: string; error?: { code: string } });

describe('vl2 worker and vl2 batch --queue', () => {
  it('process 200 lines over two workers, one killed mid-job, each line once and as vl2 batch writes it', async () => {
    const input = join(work, 'requests.jsonl');
    const images = ['multi_image_1.jpeg', 'monday.jpg', 'synthetic-300x900.png'];
    const lines = Array.from({ length: lineCount }, (_, i) => ({
      id: `q${i}`,
      prompt: `Request ${i}: say something about ${i * 7}.`,
      ...(i % 20 === 0 ? { images: [goldenPath('images', images[(i / 20) % images.length] as string)] } : {}),
      ...(i === 7 ? { images: [join(work, 'missing.png')] } : {}), // a request's own failure: one error line
      options: { maxTokens: 8 },
    }));
    await writeFile(input, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);

    const reference = join(work, 'reference.jsonl');
    await promisify(execFile)(process.execPath, [
      cli,
      'batch',
      ...model,
      '--input',
      input,
      '--output',
      reference,
    ]);

    const url = redis.url('vl2-test');
    const workerArgs = (name: string) => [
      'worker',
      '--queue',
      url,
      ...model,
      '--name',
      name,
      '--jobs',
      '2',
      // A short lock so the dead worker's job comes back within seconds, with room for 2 busy CI cores
      // to be late renewing it; a job may come back more than once before it would fail.
      '--lock-ms',
      '4000',
      '--stalled-ms',
      '1000',
      '--max-stalled',
      '3',
    ];
    const [a, b] = await Promise.all([
      startCli(workerArgs('worker-a'), /worker ready/),
      startCli(workerArgs('worker-b'), /worker ready/),
    ]);
    const output = join(work, 'results.jsonl');
    const batch = await startCli([
      'batch',
      '--queue',
      url,
      '--input',
      input,
      '--output',
      output,
      '--chunk-size',
      '8',
    ]);

    // Kill worker A while it holds a job (BullMQ records the worker's name on the jobs it takes).
    const queue = new Queue('vl2-test', { connection: { host: '127.0.0.1', port: redis.port } });
    let killedJob: string | undefined;
    try {
      while (!killedJob) {
        if (batch.child.exitCode !== null)
          throw new Error(`the batch ended before worker A took a job:\n${batch.log()}`);
        const held = (await queue.getActive()).find((job) => job.processedBy === 'worker-a');
        if (held) {
          a.child.kill('SIGKILL');
          killedJob = held.id;
        } else await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await queue.close();
    }
    expect(await exited(batch.child), batch.log()).toBe(0);

    const results = await readLines(output);
    const ids = results.map((r) => r.id);
    expect(ids).toHaveLength(lineCount);
    expect(new Set(ids).size).toBe(lineCount);
    const expected = new Map((await readLines(reference)).map((r) => [r.id, r]));
    for (const result of results) expect(result).toEqual(expected.get(result.id));
    expect(results.find((r) => r.id === 'q7')?.error?.code).toBe('VL2_IMAGE');
    // The job A died holding was done again by B.
    expect(b.log()).toContain(`job ${killedJob}:`);
    b.child.kill('SIGTERM');
    expect(await exited(b.child)).toBe(0);
  });
});
