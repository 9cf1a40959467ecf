/**
 * `vl2 backends` and `vl2 chat` as a user runs them (through tsx), and the typed failure when the
 * native addon cannot load (NativeMissingError, VL2_NATIVE_MISSING) from the API and the CLI.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { goldenPath } from '../support/golden.js';

const root = resolve(import.meta.dirname, '..', '..');

/** Runs vl2 with `input` on stdin; resolves with its exit code and output. */
function vl2(args: string[], input = '', env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'lib', 'cli', 'main.ts'), ...args], {
      cwd: root,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('vl2 backends', () => {
  it('lists the CPU backend and the CUDA entry, as text and as JSON', async () => {
    const text = await vl2(['backends']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^deepseek-vl2 native \d+\.\d+\.\d+/);
    expect(text.stdout).toMatch(/cpu: available, \d+ threads/);
    expect(text.stdout).toMatch(/cuda(:\d+: .+SMs|: unavailable \(.+\))/);
    const json = await vl2(['backends', '--json']);
    const parsed = JSON.parse(json.stdout) as { name: string }[];
    expect(parsed.map((b) => b.name)).toEqual(['cpu', 'cuda']);
  });
});

describe('vl2 chat', () => {
  it('answers each line, keeps the conversation, takes /image, /reset and /exit', async () => {
    const { code, stdout } = await vl2(
      [
        'chat',
        '--model',
        goldenPath('models', 'tiny'),
        '--tokenizer',
        goldenPath('tokenizer', 'tokenizer.json'),
        '--max-tokens',
        '4',
      ],
      `Hello\n/image ${goldenPath('images', 'synthetic-20x20.png')}\nWhat is this?\n/reset\n/image /nonexistent.png\nAgain\n/exit\n`,
    );
    expect(code).toBe(0);
    expect(stdout.match(/vl2> /g)?.length).toBe(3);
    expect(stdout).toContain('(image 1 attached to your next message)');
    // A bad image is reported in the conversation and the chat goes on to /exit.
    expect(stdout).toMatch(/\(error: cannot read image file \/nonexistent\.png/);
  });
});

describe('a missing native addon', () => {
  it('is a NativeMissingError naming what failed, from the API', async () => {
    vi.resetModules();
    const saved = process.env.VL2_NATIVE_ADDON;
    process.env.VL2_NATIVE_ADDON = join(root, 'no-such-addon.node');
    try {
      const { backends, NativeMissingError } = await import('../../lib/index.js');
      let error: unknown;
      try {
        backends();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NativeMissingError);
      expect(error).toMatchObject({
        code: 'VL2_NATIVE_MISSING',
        message: expect.stringContaining('no-such-addon.node'),
      });
    } finally {
      if (saved === undefined) delete process.env.VL2_NATIVE_ADDON;
      else process.env.VL2_NATIVE_ADDON = saved;
      vi.resetModules();
    }
  });

  it('makes the CLI exit 1 with the code, not a stack trace', async () => {
    const { code, stderr } = await vl2(['backends'], '', {
      ...process.env,
      VL2_NATIVE_ADDON: join(root, 'no-such-addon.node'),
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^vl2: VL2_NATIVE_ADDON=.*no-such-addon\.node does not load.*\(VL2_NATIVE_MISSING\)/s,
    );
  });
});
