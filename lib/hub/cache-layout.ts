/**
 * The Hugging Face cache layout, as Python's huggingface_hub writes and reads it:
 *
 *   <cacheDir>/models--<org>--<name>/
 *     blobs/<etag>                 file contents, named by the hub's ETag (sha256 for LFS, git sha1 otherwise)
 *     blobs/<etag>.incomplete      a download in progress; a later pull resumes it
 *     refs/<revision>              the commit hash a branch or tag pointed to when last resolved
 *     snapshots/<commit>/<path>    relative symlinks to ../../blobs/<etag>
 *
 * @huggingface/hub names the folder (getRepoFolderName) but keeps its symlink helper internal, and its
 * downloadFileToCacheDir neither resumes nor verifies; so the paths, refs and links live here.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, lstat, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';

/** A full commit hash; any other revision is a branch or tag resolved through refs/. */
export const commitHashPattern = /^[0-9a-f]{40}$/;

/** The cache folder of one model repository. */
export class RepoCache {
  readonly root: string;
  constructor(
    cacheDir: string,
    readonly repoId: string,
  ) {
    this.root = join(cacheDir, getRepoFolderName({ type: 'model', name: repoId }));
  }

  blobPath(etag: string): string {
    return join(this.root, 'blobs', etag);
  }

  incompletePath(etag: string): string {
    return `${this.blobPath(etag)}.incomplete`;
  }

  snapshotDir(commit: string): string {
    return join(this.root, 'snapshots', commit);
  }

  /** The commit a revision names: itself when a commit hash, else what refs/<revision> holds. */
  async commitOf(revision: string): Promise<string | undefined> {
    if (commitHashPattern.test(revision)) return revision;
    try {
      const commit = (await readFile(join(this.root, 'refs', revision), 'utf8')).trim();
      return commitHashPattern.test(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records where a branch or tag points (no trailing newline, as Python writes it). */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const path = join(this.root, 'refs', revision);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, commit);
  }

  /**
   * Places snapshots/<commit>/<path> on blobs/<etag>: a relative link, so the cache survives being
   * moved; a copy where links are not allowed (Windows without developer mode), as Python falls back.
   * Made under a temporary name and renamed over the pointer, so a reader (or a second pull linking
   * the same file) never sees it missing or half-made.
   */
  async linkSnapshotFile(commit: string, path: string, etag: string): Promise<void> {
    const pointer = join(this.snapshotDir(commit), path);
    const blob = this.blobPath(etag);
    await mkdir(dirname(pointer), { recursive: true });
    const staged = `${pointer}.${process.pid}-${randomUUID()}.tmp`;
    try {
      await symlink(relative(dirname(pointer), blob), staged);
    } catch {
      await copyFile(blob, staged);
    }
    try {
      await rename(staged, pointer);
    } catch (error) {
      await rm(staged, { force: true });
      throw error;
    }
  }
}

/** Whether a path exists; links are followed, so a dangling snapshot link counts as missing. */
export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Bytes already in a partial download (0 when none). */
export async function partialLength(path: string): Promise<number> {
  try {
    return (await lstat(path)).size;
  } catch {
    return 0;
  }
}
