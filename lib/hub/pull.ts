/**
 * `pullModel`: a model repository from the Hugging Face hub into the shared cache, then the snapshot
 * folder the loader reads. The repository is resolved to a commit first, so every file comes from
 * one commit even when a branch moves during the pull; shards download concurrently; the snapshot
 * links appear only after every blob was verified, so a snapshot we wrote is always complete.
 */
import { join } from 'node:path';
import { fileDownloadInfo, listFiles, modelInfo } from '@huggingface/hub';
import { HubError, InvalidArgumentError } from '../errors.js';
import { commitHashPattern, fileExists, RepoCache } from './cache-layout.js';
import { downloadBlob, normalizeEtag } from './download.js';
import { type FailureContext, toHubError } from './hub-errors.js';
import { isModelFile, missingModelFiles } from './model-files.js';
import { isHubModelId } from './model-id.js';
import { runPool } from './pool.js';
import { type HubOptions, type HubSettings, hubSettings } from './settings.js';

/** Files in flight at once: enough to fill a fast link with a few shards, as Python's default of 8 workers does for many files. */
const maxConcurrentDownloads = 4;
/** Progress callbacks come at most once per this many bytes (plus one as each file completes). */
const progressStepBytes = 1 << 20;

/** How far a pull is. Bytes count only what this pull fetches (a resumed partial file counts as fetched). */
export interface PullProgress {
  /** The file whose bytes arrived last. */
  file?: string;
  downloadedBytes: number;
  totalBytes: number;
  filesDone: number;
  filesTotal: number;
}

/** Options of {@link pullModel}. */
export interface PullOptions extends HubOptions {
  onProgress?: (progress: PullProgress) => void;
  /** Stops the pull; partial files stay and the next pull resumes them. */
  signal?: AbortSignal;
}

/** What a pull left in the cache. */
export interface PullResult {
  repo: string;
  /** The commit the revision resolved to. */
  commit: string;
  /** The snapshot folder: a model directory for {@link loadModel}. */
  dir: string;
  /** Bytes of the files this pull added to the snapshot (0 when the snapshot had them all). */
  downloadedBytes: number;
  /** True when the network was not used (offline, or a commit hash whose snapshot is complete). */
  offline: boolean;
}

interface RepoFile {
  path: string;
  size: number;
}

/** The snapshot of a commit hash, when the cache has it whole: a commit never changes, so no request is needed. */
async function completeCommitSnapshot(cache: RepoCache, revision: string): Promise<PullResult | undefined> {
  if (!commitHashPattern.test(revision)) return undefined;
  const dir = cache.snapshotDir(revision);
  if ((await missingModelFiles(dir)).length > 0) return undefined;
  return { repo: cache.repoId, commit: revision, dir, downloadedBytes: 0, offline: true };
}

/** The snapshot of a revision already in the cache, without the network. */
async function pullFromCache(cache: RepoCache, settings: HubSettings): Promise<PullResult> {
  const repo = cache.repoId;
  const commit = await cache.commitOf(settings.revision);
  const why = 'HF_HUB_OFFLINE is set (or offline: true)';
  if (!commit) {
    throw new HubError(
      'VL2_HUB_OFFLINE_MISSING',
      `${repo} at ${settings.revision} is not in the cache ${settings.cacheDir} and ${why}; pull it online first`,
      { repo },
    );
  }
  const dir = cache.snapshotDir(commit);
  const missing = await missingModelFiles(dir);
  if (missing.length > 0) {
    throw new HubError(
      'VL2_HUB_OFFLINE_MISSING',
      `the cached snapshot ${dir} lacks ${missing.join(', ')} and ${why}; pull it online first`,
      { repo, file: missing[0] },
    );
  }
  return { repo, commit, dir, downloadedBytes: 0, offline: true };
}

/**
 * Downloads the files a model needs (config, processor and tokenizer files, safetensors and their
 * index) from a hub repository into the Hugging Face cache and returns the snapshot folder. Files
 * already in the snapshot are not fetched again; `.incomplete` files left by an interrupted pull
 * (ours or Python's) resume where they stopped.
 */
export async function pullModel(repo: string, options: PullOptions = {}): Promise<PullResult> {
  if (!isHubModelId(repo)) {
    throw new InvalidArgumentError(`a hub model id looks like "org/name", got "${repo}"`);
  }
  const settings = hubSettings(options);
  const cache = new RepoCache(settings.cacheDir, repo);
  if (settings.offline) return pullFromCache(cache, settings);
  const pinned = await completeCommitSnapshot(cache, settings.revision);
  if (pinned) return pinned;

  const context: FailureContext = {
    repo,
    endpoint: settings.endpoint,
    revision: settings.revision,
    hasToken: settings.token !== undefined,
  };
  const hubParams = { hubUrl: settings.endpoint, accessToken: settings.token };
  let commit: string;
  let files: RepoFile[];
  try {
    const info = await modelInfo({
      ...hubParams,
      name: repo,
      revision: settings.revision,
      additionalFields: ['sha'],
    });
    if (info.gated && !settings.token) {
      throw new HubError(
        'VL2_HUB_UNAUTHORIZED',
        `${repo} is gated: accept its terms on its hub page, then set HF_TOKEN to a token of that account`,
        { repo },
      );
    }
    if (!info.sha)
      throw new HubError('VL2_HUB_NOT_FOUND', `${repo} has no commit at ${settings.revision}`, { repo });
    commit = info.sha;
    files = [];
    for await (const entry of listFiles({
      ...hubParams,
      repo: { type: 'model', name: repo },
      revision: commit,
      recursive: true,
    })) {
      if (entry.type === 'file' && isModelFile(entry.path))
        files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size });
    }
  } catch (error) {
    throw toHubError(error, context);
  }
  if (!files.some((f) => f.path === 'config.json')) {
    throw new HubError(
      'VL2_HUB_NOT_FOUND',
      `${repo} has no config.json at ${settings.revision}: not a model repository`,
      { repo },
    );
  }
  await cache.writeRef(settings.revision, commit);

  const dir = cache.snapshotDir(commit);
  const todo: RepoFile[] = [];
  for (const file of files) if (!(await fileExists(join(dir, file.path)))) todo.push(file);

  const progress: PullProgress = {
    downloadedBytes: 0,
    totalBytes: todo.reduce((sum, f) => sum + f.size, 0),
    filesDone: 0,
    filesTotal: todo.length,
  };
  let reportedBytes = 0;
  const report = (force: boolean) => {
    if (!force && progress.downloadedBytes - reportedBytes < progressStepBytes) return;
    reportedBytes = progress.downloadedBytes;
    options.onProgress?.({ ...progress });
  };
  report(true);

  const fetched: { path: string; etag: string }[] = [];
  const tasks = todo.map((file) => async (signal: AbortSignal) => {
    try {
      const info = await fileDownloadInfo({
        ...hubParams,
        repo: { type: 'model', name: repo },
        path: file.path,
        revision: commit,
        fetch: (input, init) => fetch(input, { ...init, signal }),
      });
      if (!info)
        throw new HubError('VL2_HUB_NOT_FOUND', `${file.path} is not in ${repo} at ${commit}`, {
          repo,
          file: file.path,
        });
      const etag = normalizeEtag(info.etag);
      let received = 0;
      await downloadBlob({
        cache,
        path: file.path,
        commit,
        etag,
        info,
        token: settings.token,
        signal,
        onBytes: (bytes) => {
          received += bytes;
          progress.downloadedBytes += bytes;
          progress.file = file.path;
          report(false);
        },
      });
      // A blob another revision already fetched arrives with no bytes: count it so the bar ends at its total.
      progress.downloadedBytes += file.size - received;
      progress.filesDone += 1;
      fetched.push({ path: file.path, etag });
      report(true);
    } catch (error) {
      throw toHubError(error, { ...context, file: file.path });
    }
  });
  await runPool(tasks, maxConcurrentDownloads, options.signal);

  for (const { path, etag } of fetched) await cache.linkSnapshotFile(commit, path, etag);
  return { repo, commit, dir, downloadedBytes: progress.downloadedBytes, offline: false };
}
