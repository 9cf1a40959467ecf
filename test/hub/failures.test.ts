/**
 * Pulls that go wrong: a transfer cut mid-file resumes from its partial bytes, a file whose bytes do
 * not hash to the hub's ETag never enters the cache, and a gated or missing repository fails with a
 * typed error that says what to do.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AbortError, HubError, pullModel } from '../../lib/index.js';
import { FakeHub, invalidToken } from '../support/fake-hub.js';
import { smallRepo, tinyRepo, useHubEnvironment } from '../support/hub-fixtures.js';

const hub = new FakeHub();
const env = useHubEnvironment();
beforeAll(() => hub.start());
afterAll(() => hub.close());

const folder = (cacheDir: string, id: string) => join(cacheDir, `models--${id.replace('/', '--')}`);

async function pullError(id: string, options: Parameters<typeof pullModel>[1]): Promise<HubError> {
  const error = await pullModel(id, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HubError);
  return error as HubError;
}

describe('pull failures', () => {
  it('resumes a transfer cut mid-file from its partial bytes (a Range request from there)', async () => {
    const repo = hub.add(tinyRepo('test-org/cut'));
    const shard = repo.files.find((f) => f.path === 'model-00001-of-00002.safetensors');
    if (!shard) throw new Error('the golden tiny model has no first shard');
    const cutAfter = 8 << 20;
    repo.cutOnce = new Map([[shard.path, cutAfter]]);
    const cacheDir = env.cacheDir();

    const error = await pullError(repo.id, { cacheDir, endpoint: hub.url });
    expect(error.code).toBe('VL2_HUB_NETWORK');
    expect(error.file).toBe(shard.path);
    const partial = join(folder(cacheDir, repo.id), 'blobs', `${shard.etag}.incomplete`);
    const partialBytes = statSync(partial).size;
    expect(partialBytes).toBeGreaterThan(0);
    expect(partialBytes).toBeLessThanOrEqual(cutAfter);
    expect(existsSync(join(folder(cacheDir, repo.id), 'snapshots', repo.commit, shard.path))).toBe(false);

    const seen = hub.requests.length;
    const result = await pullModel(repo.id, { cacheDir, endpoint: hub.url });
    const shardBodies = hub.requests
      .slice(seen)
      .filter((r) => r.path === `/cdn-lfs/${repo.id}/${shard.sha256}` && r.range !== 'bytes=0-0');
    expect(shardBodies.map((r) => r.range)).toEqual([`bytes=${partialBytes}-${shard.data.length - 1}`]);
    expect(existsSync(partial)).toBe(false);
    expect(statSync(join(result.dir, shard.path)).size).toBe(shard.data.length);
  });

  it('a partial file is discarded, not corrupted, when the server answers a resume with the whole file', async () => {
    const repo = hub.add(tinyRepo('test-org/no-range'));
    const shard = repo.files.find((f) => f.path === 'model-00001-of-00002.safetensors');
    if (!shard) throw new Error('the golden tiny model has no first shard');
    repo.cutOnce = new Map([[shard.path, 4 << 20]]);
    const cacheDir = env.cacheDir();
    expect((await pullError(repo.id, { cacheDir, endpoint: hub.url })).code).toBe('VL2_HUB_NETWORK');

    repo.ignoreRange = new Set([shard.path]);
    const error = await pullError(repo.id, { cacheDir, endpoint: hub.url });
    expect(error.code).toBe('VL2_HUB_NETWORK');
    expect(error.message).toMatch(/ignored the Range request.*discarded/);
    expect(existsSync(join(folder(cacheDir, repo.id), 'blobs', `${shard.etag}.incomplete`))).toBe(false);

    const result = await pullModel(repo.id, { cacheDir, endpoint: hub.url });
    expect(statSync(join(result.dir, shard.path)).size).toBe(shard.data.length);
  });

  it('an AbortSignal stops a pull with AbortError and keeps the partial files for the next pull', async () => {
    const repo = hub.add(tinyRepo('test-org/aborted'));
    const cacheDir = env.cacheDir();
    const controller = new AbortController();
    const error = await pullModel(repo.id, {
      cacheDir,
      endpoint: hub.url,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.downloadedBytes > 0) controller.abort();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AbortError);
    expect(existsSync(join(folder(cacheDir, repo.id), 'snapshots'))).toBe(false);
    const result = await pullModel(repo.id, { cacheDir, endpoint: hub.url });
    expect(readdirSync(result.dir)).toContain('model-00001-of-00002.safetensors');
  });

  it('refuses a file whose bytes do not match the hub ETag: typed error, nothing in blobs/ or snapshots/', async () => {
    const repo = hub.add(smallRepo('test-org/corrupt'));
    const shard = repo.files.find((f) => f.path === 'model-00002-of-00002.safetensors');
    if (!shard) throw new Error('the golden small model has no second shard');
    repo.corrupt = new Set([shard.path]);
    const cacheDir = env.cacheDir();

    const error = await pullError(repo.id, { cacheDir, endpoint: hub.url });
    expect(error.code).toBe('VL2_HUB_HASH_MISMATCH');
    expect(error.file).toBe(shard.path);
    expect(error.message).toContain(shard.sha256);
    const root = folder(cacheDir, repo.id);
    expect(readdirSync(join(root, 'blobs')).filter((name) => name.startsWith(shard.etag))).toEqual([]);
    expect(existsSync(join(root, 'snapshots'))).toBe(false);
  });

  it('a gated repository without a token fails with VL2_HUB_UNAUTHORIZED; a granted HF_TOKEN pulls it', async () => {
    const repo = hub.add(smallRepo('test-org/gated'));
    repo.gatedTokens = new Set(['hf_granted']);
    const cacheDir = env.cacheDir();

    const error = await pullError(repo.id, { cacheDir, endpoint: hub.url });
    expect(error.code).toBe('VL2_HUB_UNAUTHORIZED');
    expect(error.message).toMatch(/gated.*HF_TOKEN/);

    const refused = await pullError(repo.id, { cacheDir, endpoint: hub.url, token: 'hf_not_granted' });
    expect(refused.code).toBe('VL2_HUB_UNAUTHORIZED');
    expect(refused.message).toMatch(/not been granted/);

    vi.stubEnv('HF_TOKEN', 'hf_granted');
    const result = await pullModel(repo.id, { cacheDir, endpoint: hub.url });
    expect(readdirSync(result.dir)).toContain('config.json');
    expect(
      hub
        .downloads()
        .filter((r) => r.path.includes('test-org/gated/resolve/'))
        .at(-1)?.authorization,
    ).toBe('Bearer hf_granted');
  });

  it('a token the hub rejects fails with VL2_HUB_UNAUTHORIZED naming the token', async () => {
    hub.add(smallRepo('test-org/public'));
    const error = await pullError('test-org/public', {
      cacheDir: env.cacheDir(),
      endpoint: hub.url,
      token: invalidToken,
    });
    expect(error.code).toBe('VL2_HUB_UNAUTHORIZED');
    expect(error.message).toMatch(/refused the token/);
  });

  it('a repository or revision the hub does not know fails with VL2_HUB_NOT_FOUND', async () => {
    hub.add(smallRepo('test-org/known'));
    const cacheDir = env.cacheDir();
    const missing = await pullError('test-org/unknown', { cacheDir, endpoint: hub.url });
    expect(missing.code).toBe('VL2_HUB_NOT_FOUND');
    expect(missing.message).toMatch(/test-org\/unknown.*not found.*HF_TOKEN/);
    const revision = await pullError('test-org/known', { cacheDir, endpoint: hub.url, revision: 'v9' });
    expect(revision.code).toBe('VL2_HUB_NOT_FOUND');
  });

  it('an unreachable hub fails with VL2_HUB_NETWORK naming HF_HUB_OFFLINE', async () => {
    const down = new FakeHub();
    const url = await down.start();
    await down.close();
    const error = await pullError('test-org/known', { cacheDir: env.cacheDir(), endpoint: url });
    expect(error.code).toBe('VL2_HUB_NETWORK');
    expect(error.message).toMatch(/HF_HUB_OFFLINE/);
  });
});
