/**
 * The prepack hook's decision (dry run, in a scratch package root): build this platform's prebuild
 * when it is missing or older than the native sources, keep it when current. The full pack with a
 * real build is pack.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = resolve(import.meta.dirname, '..', '..', 'scripts', 'prepack.mjs');
const work = mkdtempSync(join(tmpdir(), 'vl2-prepack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const target = join('prebuilds', `${process.platform}-${process.arch}`);
const decide = (env: Record<string, string> = {}) =>
  JSON.parse(
    execFileSync(process.execPath, [script, '--dry-run'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, VL2_SKIP_PREBUILD: '', ...env },
    }),
  ) as { target: string; build: boolean; reason: string };

describe('prepack', () => {
  it('builds when the binary is missing or stale, keeps a current one', () => {
    mkdirSync(join(work, 'native', 'core'), { recursive: true });
    const source = join(work, 'native', 'core', 'model.cc');
    writeFileSync(source, '// source');
    utimesSync(source, new Date(1_000_000), new Date(1_000_000));
    expect(decide()).toMatchObject({ target, build: true });

    mkdirSync(join(work, target), { recursive: true });
    const binary = join(work, target, 'deepseek-vl2.node');
    writeFileSync(binary, 'binary');
    expect(decide()).toMatchObject({ build: false, reason: `${target} is current` });

    utimesSync(binary, new Date(500_000), new Date(500_000));
    expect(decide()).toMatchObject({ build: true, reason: expect.stringMatching(/native sources changed/) });
    expect(decide({ VL2_SKIP_PREBUILD: '1' })).toMatchObject({ build: false });
  });
});
