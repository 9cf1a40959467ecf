/** Hub ids versus directories, and where the hub settings come from (options, then Python's variables). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError } from '../../lib/errors.js';
import { isHubModelId } from '../../lib/hub/model-id.js';
import { resolveModelDir } from '../../lib/hub/resolve-model-id.js';
import { hubSettings } from '../../lib/hub/settings.js';

const work = mkdtempSync(join(tmpdir(), 'vl2-hub-settings-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('hub model ids', () => {
  it('org/name is an id; paths, URLs and malformed names are not', () => {
    for (const id of ['deepseek-ai/deepseek-vl2-tiny', 'org/model.v1_2', 'A/b-c'])
      expect(isHubModelId(id)).toBe(true);
    for (const other of [
      'deepseek-vl2-tiny',
      './org/name',
      '/models/tiny',
      'a/b/c',
      'org/../x',
      'https://x/y',
      '-a/b',
      'a/',
    ])
      expect(isHubModelId(other)).toBe(false);
  });

  it('an existing directory named like an id is a directory, not a hub id', async () => {
    const cwd = process.cwd();
    mkdirSync(join(work, 'org', 'name'), { recursive: true });
    process.chdir(work);
    try {
      expect(await resolveModelDir('org/name', { offline: true })).toBe('org/name');
    } finally {
      process.chdir(cwd);
    }
  });
});

const hubVariables = [
  'HF_ENDPOINT',
  'HF_TOKEN',
  'HF_TOKEN_PATH',
  'HF_HUB_OFFLINE',
  'HF_HOME',
  'HF_HUB_CACHE',
  'XDG_CACHE_HOME',
];

/** Only these variables, for one call: the machine's own hub variables must not leak in. */
function settingsWith(env: Record<string, string>, options: Parameters<typeof hubSettings>[0] = {}) {
  for (const name of hubVariables) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return hubSettings(options);
}

describe('hub settings', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('reads HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE and HF_HUB_CACHE; options win', () => {
    const env = { HF_ENDPOINT: 'http://127.0.0.1:9/', HF_TOKEN: 'hf_env', HF_HUB_OFFLINE: 'YES' };
    const fromEnv = settingsWith(env, { cacheDir: '/c' });
    expect(fromEnv).toEqual({
      revision: 'main',
      cacheDir: '/c',
      token: 'hf_env',
      endpoint: 'http://127.0.0.1:9',
      offline: true,
    });
    expect(
      settingsWith(env, { cacheDir: '/c', token: 'hf_opt', offline: false, endpoint: 'http://h' }),
    ).toMatchObject({
      token: 'hf_opt',
      offline: false,
      endpoint: 'http://h',
    });
    expect(
      settingsWith({ HF_HUB_OFFLINE: '0', HF_TOKEN_PATH: join(work, 'none') }, { cacheDir: '/c' }),
    ).toMatchObject({
      offline: false,
      token: undefined,
      endpoint: 'https://huggingface.co',
    });
  });

  it('without HF_TOKEN, the token file of `hf auth login` (HF_TOKEN_PATH, else HF_HOME/token)', () => {
    writeFileSync(join(work, 'token'), 'hf_from_file\n');
    expect(settingsWith({ HF_HOME: work })).toMatchObject({
      token: 'hf_from_file',
      cacheDir: join(work, 'hub'),
    });
    expect(settingsWith({ HF_TOKEN_PATH: join(work, 'token') }).token).toBe('hf_from_file');
    expect(settingsWith({ HF_HOME: join(homedir(), 'nonexistent-vl2') }).token).toBeUndefined();
  });

  it('a token that is not a Hugging Face token is refused before any request', () => {
    expect(() => settingsWith({}, { token: 'abc' })).toThrow(InvalidArgumentError);
    expect(() => settingsWith({ HF_TOKEN: 'abc' })).toThrow(/hf_/);
  });
});
