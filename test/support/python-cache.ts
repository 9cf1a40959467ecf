/**
 * A hub cache laid out exactly as Python's huggingface_hub lays it (file_download.py): blobs named by
 * ETag, snapshots/<commit>/<path> as relative symlinks ../../blobs/<etag>, refs/main holding the
 * commit without a newline. Written by hand here so the test does not depend on our own writer.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeRepo } from './fake-hub.js';

export function writePythonCache(cacheDir: string, repo: FakeRepo): string {
  const root = join(cacheDir, `models--${repo.id.replace('/', '--')}`);
  mkdirSync(join(root, 'blobs'), { recursive: true });
  mkdirSync(join(root, 'refs'), { recursive: true });
  const snapshot = join(root, 'snapshots', repo.commit);
  mkdirSync(snapshot, { recursive: true });
  for (const file of repo.files) {
    writeFileSync(join(root, 'blobs', file.etag), file.data);
    symlinkSync(join('..', '..', 'blobs', file.etag), join(snapshot, file.path));
  }
  writeFileSync(join(root, 'refs', 'main'), repo.commit);
  return snapshot;
}
