/**
 * What `loadModel(source)` was given: a model directory, or a hub id to pull first. A string that is
 * an existing directory is always a directory (a local folder named `org/name` wins); otherwise a
 * string of the form `org/name` is a hub id. Anything else goes to the loader, which says the
 * directory is missing.
 */
import { stat } from 'node:fs/promises';
import { isHubModelId } from './model-id.js';
import type { PullOptions } from './pull.js';

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The model directory for `source`: itself, or the cache snapshot of the hub id (pulled if needed). */
export async function resolveModelDir(source: string, options: PullOptions = {}): Promise<string> {
  if ((await isDirectory(source)) || !isHubModelId(source)) return source;
  // Loaded only for hub ids: a model directory never pays for @huggingface/hub's import.
  const { pullModel } = await import('./pull.js');
  return (await pullModel(source, options)).dir;
}
