/**
 * Where a request's image_url may point: a data: URL always; a local file only inside the image root
 * (after symlinks are resolved, so a link cannot lead out of it); an http(s) URL only when remote
 * images are on, and then through the safe fetcher (public addresses, byte and time limits, every
 * redirect checked). The server hands the model bytes, never a path or URL, so the model's own
 * loading options play no part.
 */
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchRemote, type RemoteFetchOptions } from '../net/safe-fetch.js';
import type { ImageInput } from '../processor/index.js';
import { badRequest } from './errors.js';

/** What images a server accepts. */
export interface ImagePolicy {
  /** Local image paths are served from here only; without it, local paths are refused. */
  imageRoot?: string;
  /** Fetch http(s) image URLs (default false). */
  allowRemoteImages?: boolean;
  /** Limits and address policy of remote fetches (see RemoteFetchOptions). */
  remoteFetch?: RemoteFetchOptions;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

async function localImage(url: string, root: string | undefined, param: string): Promise<Buffer> {
  if (!root)
    throw badRequest(
      `${param}: local image paths are refused (start the server with --image-root DIR to serve files under DIR)`,
      param,
      'invalid_image_url',
    );
  let real: string;
  let realRoot: string;
  try {
    // fileURLToPath throws for a file: URL naming another host; that is a bad request too.
    const path = url.startsWith('file:') ? fileURLToPath(url) : resolve(root, url);
    realRoot = await realpath(root);
    real = await realpath(path);
  } catch {
    throw badRequest(`${param}: no image at ${url} under the image root`, param, 'invalid_image_url');
  }
  if (!inside(realRoot, real))
    throw badRequest(`${param}: ${url} is outside the image root`, param, 'invalid_image_url');
  return readFile(real);
}

/** The image an image_url names, as bytes (or the data: URL itself), under the server's policy. */
export async function resolveImageUrl(
  url: string,
  policy: ImagePolicy,
  param: string,
  signal: AbortSignal,
): Promise<ImageInput> {
  if (url.startsWith('data:')) return url;
  if (/^https?:\/\//i.test(url)) {
    if (!policy.allowRemoteImages)
      throw badRequest(
        `${param}: remote image URLs are refused (start the server with --allow-remote-images); send a data: URL`,
        param,
        'invalid_image_url',
      );
    try {
      return await fetchRemote(url, { ...policy.remoteFetch, signal });
    } catch (error) {
      throw badRequest(`${param}: ${(error as Error).message}`, param, 'invalid_image_url');
    }
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('file:') && !/^[a-z]:[\\/]/i.test(url))
    throw badRequest(`${param}: unsupported image URL scheme in ${url}`, param, 'invalid_image_url');
  return localImage(url, policy.imageRoot, param);
}
