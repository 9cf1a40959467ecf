/** The fake hub's repositories for the hub tests, built from the golden models, and a clean environment. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, vi } from 'vitest';
import { type FakeRepo, fakeRepo } from './fake-hub.js';
import { goldenPath } from './golden.js';

/** deepseek-ai/deepseek-vl2-tiny as the golden tiny model with its tokenizer and a README (not a model file). */
export function tinyRepo(id = 'deepseek-ai/deepseek-vl2-tiny'): FakeRepo {
  return fakeRepo(id, goldenPath('models', 'tiny'), {
    'tokenizer.json': goldenPath('tokenizer', 'tokenizer.json'),
    'README.md': goldenPath('README.md'),
  });
}

/** A small repository (the golden small model, 1.3 MB) for failures that load nothing. */
export function smallRepo(id: string): FakeRepo {
  return fakeRepo(id, goldenPath('models', 'small'));
}

/**
 * Hub variables of the machine running the tests must not leak in (a real token, an offline flag):
 * each test starts with none; a fresh cache folder per test, removed after the file.
 */
export function useHubEnvironment(): { cacheDir: () => string } {
  const root = mkdtempSync(join(tmpdir(), 'vl2-hub-'));
  let count = 0;
  let current = '';
  beforeEach(() => {
    for (const name of ['HF_TOKEN', 'HF_ENDPOINT', 'HF_HUB_OFFLINE', 'HF_HUB_CACHE', 'HF_HOME'])
      vi.stubEnv(name, undefined);
    vi.stubEnv('HF_TOKEN_PATH', join(root, 'no-token'));
    current = join(root, `cache-${count++}`);
  });
  afterEach(() => vi.unstubAllEnvs());
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return { cacheDir: () => current };
}
