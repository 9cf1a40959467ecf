/**
 * The cache without the hub, and the cache Python's huggingface_hub writes: HF_HUB_OFFLINE=1 loads
 * a pulled model with the server down, a revision the cache lacks fails with a typed error, and a
 * cache laid out by Python (blobs, relative snapshot links, refs/main) loads as is and needs no download.
 */
import { describe, expect, it, vi } from 'vitest';
import { HubError, loadModel, pullModel } from '../../lib/index.js';
import { FakeHub } from '../support/fake-hub.js';
import { conversationOf, goldenCase } from '../support/golden.js';
import { tinyRepo, useHubEnvironment } from '../support/hub-fixtures.js';
import { writePythonCache } from '../support/python-cache.js';

const repo = tinyRepo();
const env = useHubEnvironment();
const golden = goldenCase('tiny', 'text');

/** The first greedy tokens of the golden text case (their reference margins are far above 1e-3). */
async function answers(source: string): Promise<number[]> {
  const model = await loadModel(source, { device: 'cpu' });
  try {
    return (await model.generate(conversationOf(golden), { maxTokens: 4 })).tokenIds;
  } finally {
    await model.close();
  }
}

describe('the hub cache', () => {
  it('HF_HUB_OFFLINE=1 (or a pinned commit) loads a pulled model with the hub down', async () => {
    const hub = new FakeHub();
    hub.add(repo);
    const cacheDir = env.cacheDir();
    const endpoint = await hub.start();
    const pulled = await pullModel(repo.id, { cacheDir, endpoint });
    await hub.close();

    // A commit hash never moves: with its snapshot complete, no request is made even online.
    const pinned = await pullModel(repo.id, { cacheDir, endpoint, revision: repo.commit });
    expect(pinned).toMatchObject({ dir: pulled.dir, offline: true });

    vi.stubEnv('HF_HUB_OFFLINE', '1');
    vi.stubEnv('HF_HUB_CACHE', cacheDir);
    expect(await answers(repo.id)).toEqual(golden.greedy_tokens.slice(0, 4));
  });

  it('offline, a model or revision the cache lacks fails with VL2_HUB_OFFLINE_MISSING', async () => {
    const cacheDir = env.cacheDir();
    writePythonCache(cacheDir, repo);
    const attempts = [
      pullModel('deepseek-ai/deepseek-vl2-small', { cacheDir, offline: true }),
      pullModel(repo.id, { cacheDir, offline: true, revision: 'v2' }),
    ];
    for (const attempt of attempts) {
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HubError);
      expect((error as HubError).code).toBe('VL2_HUB_OFFLINE_MISSING');
    }
  });

  it("loads a cache written by Python's huggingface_hub as is, offline and online without a download", async () => {
    const cacheDir = env.cacheDir();
    const snapshot = writePythonCache(cacheDir, repo);
    vi.stubEnv('HF_HUB_CACHE', cacheDir);

    vi.stubEnv('HF_HUB_OFFLINE', '1');
    expect(await answers(repo.id)).toEqual(golden.greedy_tokens.slice(0, 4));

    vi.stubEnv('HF_HUB_OFFLINE', undefined);
    const hub = new FakeHub();
    hub.add(repo);
    try {
      const result = await pullModel(repo.id, { endpoint: await hub.start() });
      expect(result.dir).toBe(snapshot);
      expect(result.downloadedBytes).toBe(0);
      expect(hub.downloads()).toEqual([]);
    } finally {
      await hub.close();
    }
  });
});
