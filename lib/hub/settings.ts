/**
 * Where the hub is, who we are and where the cache lives: explicit options first, then the
 * environment variables Python's huggingface_hub reads, so both tools share one cache and one login.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { getHFHubCachePath, HUB_URL } from '@huggingface/hub';
import { InvalidArgumentError } from '../errors.js';

/** Options of a pull (and of `loadModel` with a hub id, under `hub`). */
export interface HubOptions {
  /** A branch, tag or commit hash (default `main`). */
  revision?: string;
  /** The hub cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** An access token for gated or private repositories (default: $HF_TOKEN, else the token file of `hf auth login`). */
  token?: string;
  /** The hub's address (default: $HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Use only the cache, never the network (default: $HF_HUB_OFFLINE). */
  offline?: boolean;
}

export interface HubSettings {
  revision: string;
  cacheDir: string;
  token: string | undefined;
  endpoint: string;
  offline: boolean;
}

/** The truthy spellings huggingface_hub accepts for boolean variables (constants.py `_is_true`). */
const trueValues = new Set(['1', 'on', 'yes', 'true']);

function tokenFromFile(env: NodeJS.ProcessEnv): string | undefined {
  const hfHome = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  const path = env.HF_TOKEN_PATH ?? join(hfHome, 'token');
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined; // not logged in
  }
}

/** Resolves every setting once, so one pull never mixes two caches or two endpoints. */
export function hubSettings(options: HubOptions = {}): HubSettings {
  const env = process.env;
  const token = options.token ?? (env.HF_TOKEN || undefined) ?? tokenFromFile(env);
  if (token !== undefined && !token.startsWith('hf_')) {
    throw new InvalidArgumentError(
      'a Hugging Face token starts with "hf_" (check HF_TOKEN or the token option)',
    );
  }
  const revision = options.revision ?? 'main';
  if (!revision || revision.includes('..')) {
    throw new InvalidArgumentError(`revision must be a branch, tag or commit hash, got "${revision}"`);
  }
  return {
    revision,
    // getHFHubCachePath reads HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME and XDG_CACHE_HOME as Python does.
    cacheDir: options.cacheDir ?? getHFHubCachePath(),
    token,
    endpoint: (options.endpoint ?? (env.HF_ENDPOINT || HUB_URL)).replace(/\/+$/, ''),
    offline: options.offline ?? trueValues.has((env.HF_HUB_OFFLINE ?? '').toLowerCase()),
  };
}
