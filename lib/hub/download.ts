/**
 * One file from the hub into blobs/, resumable and verified. @huggingface/hub gives us the transfer:
 * downloadFile returns a WebBlob whose slice(offset) asks for `Range: bytes=offset-`. It lacks what a
 * multi-gigabyte download needs, so that is here: appending to blobs/<etag>.incomplete (the partial
 * file Python's huggingface_hub also resumes), hashing while writing, and renaming into place only
 * when the hash equals the hub's ETag, so a blob in the cache is always a whole, correct file.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { downloadFile, type FileDownloadInfoOutput } from '@huggingface/hub';
import { HubError } from '../errors.js';
import { fileExists, partialLength, type RepoCache } from './cache-layout.js';

/** What one blob download needs; `etag` is already unquoted (see {@link normalizeEtag}). */
export interface BlobDownload {
  cache: RepoCache;
  path: string;
  commit: string;
  etag: string;
  info: FileDownloadInfoOutput;
  token: string | undefined;
  signal: AbortSignal;
  /** Called with each run of bytes that reaches the partial file (resumed bytes included, once). */
  onBytes: (bytes: number) => void;
}

/** The hub quotes its ETags and may mark them weak; the cache names blobs by the bare value, as Python does. */
export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/**
 * The hash the ETag is: sha256 of the content for LFS files (64 hex digits), the git blob id
 * (sha1 of "blob <size>\0" + content) for files kept in git (40). Other ETags are not content
 * hashes; those files are checked by size only.
 */
function contentHash(etag: string, size: number): Hash | undefined {
  if (/^[0-9a-f]{64}$/.test(etag)) return createHash('sha256');
  if (/^[0-9a-f]{40}$/.test(etag)) return createHash('sha1').update(`blob ${size}\0`);
  return undefined;
}

/** Feeds the bytes a previous, interrupted pull left to the hash, so resuming still checks the whole file. */
async function hashExisting(path: string, hash: Hash | undefined): Promise<void> {
  if (!hash) return;
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** A fetch bound to the pull's AbortSignal that remembers the last status (WebBlob hides it). */
function observedFetch(signal: AbortSignal): { fetch: typeof fetch; lastStatus: () => number } {
  let status = 0;
  return {
    fetch: async (input, init) => {
      const response = await fetch(input, { ...init, signal });
      status = response.status;
      return response;
    },
    lastStatus: () => status,
  };
}

/**
 * Blob downloads in flight in this process, by blob path: two pulls of one model at once (say two
 * loadModel calls) must not both append to one .incomplete file, so the second waits for the first.
 * Other processes are not covered (Python's lock is an flock that Node cannot take); the hash check
 * refuses a file two writers interleaved.
 */
const inFlight = new Map<string, Promise<void>>();

/** Downloads blobs/<etag>, resuming blobs/<etag>.incomplete; a blob already there is kept as is. */
export async function downloadBlob(job: BlobDownload): Promise<void> {
  const key = job.cache.blobPath(job.etag);
  // Wait out every download of this blob in flight, then claim it before the next await. The other
  // pull reports its own bytes; fetchBlob returns at once when the blob arrived meanwhile.
  for (let running = inFlight.get(key); running; running = inFlight.get(key)) {
    await running.catch(() => undefined);
  }
  const download = fetchBlob(job);
  inFlight.set(key, download);
  try {
    await download;
  } finally {
    if (inFlight.get(key) === download) inFlight.delete(key);
  }
}

async function fetchBlob(job: BlobDownload): Promise<void> {
  const { cache, path, etag, info } = job;
  const blobPath = cache.blobPath(etag);
  if (await fileExists(blobPath)) return;
  const incomplete = cache.incompletePath(etag);
  await mkdir(dirname(blobPath), { recursive: true });
  let offset = await partialLength(incomplete);
  if (offset > info.size) {
    await rm(incomplete, { force: true }); // not a prefix of this file: start over
    offset = 0;
  }
  const hash = contentHash(etag, info.size);
  await hashExisting(incomplete, offset > 0 ? hash : undefined);
  if (offset > 0) job.onBytes(offset);

  if (offset < info.size) {
    const observed = observedFetch(job.signal);
    const blob = await downloadFile({
      repo: { type: 'model', name: cache.repoId },
      path,
      revision: job.commit,
      downloadInfo: info,
      // Plain HTTP with Range, as Python without hf_xet: resumable, and the hub serves every file so.
      xet: false,
      accessToken: job.token,
      fetch: observed.fetch,
    });
    if (!blob)
      throw new HubError('VL2_HUB_NOT_FOUND', `${path} is not in ${cache.repoId}`, {
        repo: cache.repoId,
        file: path,
      });
    let received = offset;
    let rangeIgnored = false;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        if (received === offset && offset > 0 && observed.lastStatus() !== 206) {
          // The server ignored Range and sent the file from its start: appending would corrupt it.
          rangeIgnored = true;
          done(new Error(`the server ignored the Range request (status ${observed.lastStatus()})`));
          return;
        }
        received += chunk.length;
        hash?.update(chunk);
        job.onBytes(chunk.length);
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(blob.slice(offset).stream() as NodeReadableStream<Uint8Array>),
        count,
        createWriteStream(incomplete, { flags: 'a' }),
      );
    } catch (error) {
      if (job.signal.aborted) throw job.signal.reason;
      if (rangeIgnored) await rm(incomplete, { force: true }); // the next pull starts over
      const reason = error instanceof Error ? error.message : String(error);
      const next = rangeIgnored ? 'the partial file was discarded' : 'pull again to resume from there';
      throw new HubError(
        'VL2_HUB_NETWORK',
        `downloading ${path} of ${cache.repoId} broke off after ${received} of ${info.size} bytes (${reason}); ${next}`,
        { repo: cache.repoId, file: path, cause: error },
      );
    }
  }

  const size = await partialLength(incomplete);
  const actual = hash?.digest('hex');
  if (size !== info.size || (actual !== undefined && actual !== etag)) {
    await rm(incomplete, { force: true }); // a wrong file must not be resumed either
    throw new HubError(
      'VL2_HUB_HASH_MISMATCH',
      `${path} of ${cache.repoId} does not match the hub: expected ${info.size} bytes with hash ${etag}, ` +
        `got ${size} bytes${actual ? ` with hash ${actual}` : ''}; the file was discarded`,
      { repo: cache.repoId, file: path },
    );
  }
  await rename(incomplete, blobPath);
}
