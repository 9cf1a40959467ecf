/**
 * `vl2 serve` as a user runs it: it listens, reports ready (/health 200), takes the key from $VL2_API_KEY,
 * serves the chat page at / (not with --no-ui), answers the openai client, and on SIGTERM finishes the
 * request in flight, closes and exits 0.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { goldenPath } from '../support/golden.js';

const root = resolve(import.meta.dirname, '..', '..');

/** Starts `vl2 serve` on the golden tiny model on a free port, with extra arguments. */
function start(extra: string[] = []) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'lib', 'cli', 'main.ts'),
      'serve',
      '--model',
      goldenPath('models', 'tiny'),
      '--tokenizer',
      goldenPath('tokenizer', 'tokenizer.json'),
      '--device',
      'cpu',
      '--port',
      '0',
      '--model-name',
      'tiny',
      ...extra,
    ],
    { cwd: root, env: { ...process.env, VL2_API_KEY: 'sk-cli' } },
  );
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const waitFor = async (pattern: RegExp) => {
    while (!pattern.test(stderr)) {
      if (child.exitCode !== null) throw new Error(`vl2 serve exited: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return pattern.exec(stderr) as RegExpExecArray;
  };
  return { child, exited, waitFor, stderr: () => stderr };
}

describe('vl2 serve', () => {
  it('serves the model, then drains and exits 0 on SIGTERM', async () => {
    const { child, exited, waitFor, stderr } = start();
    const url = (await waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    await waitFor(/ready/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-cli', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hello.' }],
      max_tokens: 32,
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    child.kill('SIGTERM');
    let finish: string | null | undefined;
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      finish = next.value.choices[0]?.finish_reason ?? finish;
    expect(finish).toBe('length');
    expect(await exited).toBe(0);
    expect(stderr()).toMatch(/SIGTERM, finishing requests in flight[\s\S]*stopped/);
  });

  it('with --no-ui has no page at /', async () => {
    const { child, exited, waitFor } = start(['--no-ui']);
    const url = (await waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/ui/web/main.js`)).status).toBe(404);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
