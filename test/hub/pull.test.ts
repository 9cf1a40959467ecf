/**
 * A fresh pull from the loopback hub: only the model's files, into the Python cache layout (refs,
 * blobs named by ETag, relative snapshot links), the model then loads by its id and answers as the
 * golden directory does; a second pull fetches nothing. The CLI's `vl2 pull` prints the snapshot.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModel, type PullProgress, pullModel } from '../../lib/index.js';
import { FakeHub } from '../support/fake-hub.js';
import { conversationOf, goldenCase, goldenPath } from '../support/golden.js';
import { tinyRepo, useHubEnvironment } from '../support/hub-fixtures.js';

const hub = new FakeHub();
const repo = hub.add(tinyRepo());
const env = useHubEnvironment();
beforeAll(() => hub.start());
afterAll(() => hub.close());

const modelFiles = repo.files.filter((f) => f.path !== 'README.md');

describe('pullModel', () => {
  it('fetches the model files into the Hugging Face cache layout, then nothing on a second pull', async () => {
    const cacheDir = env.cacheDir();
    const progress: PullProgress[] = [];
    const result = await pullModel(repo.id, {
      cacheDir,
      endpoint: hub.url,
      onProgress: (p) => progress.push(p),
    });

    const root = join(cacheDir, 'models--deepseek-ai--deepseek-vl2-tiny');
    expect(result.commit).toBe(repo.commit);
    expect(result.dir).toBe(join(root, 'snapshots', repo.commit));
    expect(readFileSync(join(root, 'refs', 'main'), 'utf8')).toBe(repo.commit);
    expect(readdirSync(result.dir).sort()).toEqual(modelFiles.map((f) => f.path).sort());
    for (const file of modelFiles) {
      const link = join(result.dir, file.path);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(join('..', '..', 'blobs', file.etag));
      expect(readFileSync(link).equals(file.data)).toBe(true);
    }
    expect(readdirSync(join(root, 'blobs')).sort()).toEqual(modelFiles.map((f) => f.etag).sort());
    expect(hub.downloads().some((r) => r.path.endsWith('README.md'))).toBe(false);

    const total = modelFiles.reduce((sum, f) => sum + f.data.length, 0);
    expect(progress.at(-1)).toMatchObject({
      downloadedBytes: total,
      totalBytes: total,
      filesDone: modelFiles.length,
    });
    const bytes = progress.map((p) => p.downloadedBytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
    expect(result.downloadedBytes).toBe(total);

    const before = hub.downloads().length;
    const again = await pullModel(repo.id, { cacheDir, endpoint: hub.url });
    expect(again.dir).toBe(result.dir);
    expect(again.downloadedBytes).toBe(0);
    expect(hub.downloads().length).toBe(before);
  });

  it('two pulls of one model at once fetch each file once and both succeed', async () => {
    const cacheDir = env.cacheDir();
    const seen = hub.requests.length;
    const [a, b] = await Promise.all([
      pullModel(repo.id, { cacheDir, endpoint: hub.url }),
      pullModel(repo.id, { cacheDir, endpoint: hub.url }),
    ]);
    expect(b.dir).toBe(a.dir);
    const bodies = hub.requests.slice(seen).filter((r) => r.range !== 'bytes=0-0'); // not the size probes
    for (const file of modelFiles) {
      const body = file.lfs
        ? `/cdn-lfs/${repo.id}/${file.sha256}`
        : `/${repo.id}/resolve/${repo.commit}/${file.path}`;
      expect(bodies.filter((r) => r.path === body)).toHaveLength(1);
    }
    for (const file of modelFiles) expect(readFileSync(join(a.dir, file.path)).equals(file.data)).toBe(true);
  });

  it('loadModel(org/name) pulls through HF_ENDPOINT and HF_HUB_CACHE and answers as the golden directory', async () => {
    vi.stubEnv('HF_ENDPOINT', hub.url);
    vi.stubEnv('HF_HUB_CACHE', env.cacheDir());
    const stages: string[] = [];
    const fromHub = await loadModel(repo.id, { device: 'cpu', onProgress: (p) => stages.push(p.stage) });
    const fromDir = await loadModel(goldenPath('models', 'tiny'), {
      device: 'cpu',
      tokenizer: goldenPath('tokenizer', 'tokenizer.json'),
    });
    try {
      expect(stages[0]).toBe('download');
      expect(stages.at(-1)).toBe('ready');
      for (const name of ['text', 'one-image'] as const) {
        const messages = conversationOf(goldenCase('tiny', name));
        const [a, b] = await Promise.all([
          fromHub.generate(messages, { maxTokens: 8 }),
          fromDir.generate(messages, { maxTokens: 8 }),
        ]);
        expect(a.tokenIds).toEqual(b.tokenIds);
        expect(a.text).toBe(b.text);
      }
    } finally {
      await Promise.all([fromHub.close(), fromDir.close()]);
    }
    expect(existsSync(join(env.cacheDir(), 'models--deepseek-ai--deepseek-vl2-tiny', 'refs', 'main'))).toBe(
      true,
    );
  });
});

describe('vl2 pull', () => {
  it('downloads into --cache-dir and prints the snapshot folder', async () => {
    const root = resolve(import.meta.dirname, '..', '..');
    const cacheDir = env.cacheDir();
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(root, 'lib', 'cli', 'main.ts'), 'pull', repo.id, '--cache-dir', cacheDir],
      { cwd: root, env: { ...process.env, HF_ENDPOINT: hub.url } },
    );
    expect(stdout.trim()).toBe(
      join(cacheDir, 'models--deepseek-ai--deepseek-vl2-tiny', 'snapshots', repo.commit),
    );
    expect(stderr).toMatch(new RegExp(`${repo.commit}: \\d+\\.\\d+ GB downloaded`));
  });
});
