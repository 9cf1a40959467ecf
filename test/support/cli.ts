/** The vl2 command line as a user runs it, from the sources through tsx (no build step), for tests. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';

const run = promisify(execFile);
export const repositoryRoot = resolve(import.meta.dirname, '..', '..');

/** Runs `vl2 ...args` in the repository root; rejects (with stdout and stderr) on a non-zero exit. */
export const vl2 = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(repositoryRoot, 'lib', 'cli', 'main.ts'), ...args], {
    cwd: repositoryRoot,
  });

/** A temporary folder for this test file, removed after its tests. */
export async function workFolder(prefix: string): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  afterAll(() => rm(work, { recursive: true, force: true }));
  return work;
}
