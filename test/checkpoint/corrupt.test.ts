/**
 * Broken checkpoints are refused with a CheckpointError (or UnsupportedError) naming the file and
 * tensor: each case starts from a copy of a golden checkpoint and breaks one thing.
 */
import { cp, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../lib/checkpoint/index.js';
import { nativeAddon } from '../../lib/engine/addon.js';
import { CheckpointError, UnsupportedError } from '../../lib/errors.js';
import { goldenPath } from '../support/golden.js';

let dir: string;
const shard1 = () => join(dir, 'model-00001-of-00002.safetensors');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vl2-corrupt-'));
  await cp(goldenPath('models', 'tiny'), dir, { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Rewrites a shard's header through edit, keeping its data bytes. */
async function editHeader(
  path: string,
  edit: (header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void,
) {
  const bytes = await readFile(path);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  edit(header);
  let json = JSON.stringify(header);
  json += ' '.repeat(Math.max(0, length - Buffer.byteLength(json)));
  const body = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(body.length));
  await writeFile(path, Buffer.concat([prefix, body, bytes.subarray(8 + length)]));
}

async function firstTensor(path: string): Promise<string> {
  const bytes = await readFile(path);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
  return Object.keys(header).find((k) => k !== '__metadata__' && !k.includes('attn_pool')) as string;
}

async function expectRefusal(
  pattern: RegExp,
  type: typeof CheckpointError | typeof UnsupportedError = CheckpointError,
) {
  const error = await openCheckpoint(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(pattern);
  return error as CheckpointError;
}

describe('checkpoint validation', () => {
  it('loads the untouched copy, skipping attn_pool without reporting it', async () => {
    const table = await openCheckpoint(dir);
    expect(table.unexpectedTensors).toEqual([]);
    expect(table.tensors.some((t) => t.name.includes('attn_pool'))).toBe(false);
  });

  it('refuses a missing shard file', async () => {
    await unlink(shard1());
    await expectRefusal(/points to a missing shard model-00001-of-00002\.safetensors/);
  });

  it('refuses an index that points to a shard that does not exist', async () => {
    const indexPath = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(await readFile(indexPath, 'utf8'));
    const name = Object.keys(index.weight_map)[0] as string;
    index.weight_map[name] = 'model-00003-of-00002.safetensors';
    await writeFile(indexPath, JSON.stringify(index));
    await expectRefusal(/missing shard model-00003-of-00002/);
  });

  it('refuses a truncated shard, naming the file and tensor', async () => {
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(shard1()));
    await truncate(shard1(), size - 1000);
    const error = await expectRefusal(/truncated/);
    expect(error.file).toBe(shard1());
    expect(error.tensor).toBeTruthy();
  });

  it('refuses a header whose byte range does not match its dtype and shape', async () => {
    const name = await firstTensor(shard1());
    await editHeader(shard1(), (h) => {
      const entry = h[name] as { data_offsets: number[] };
      entry.data_offsets = [entry.data_offsets[0] as number, (entry.data_offsets[1] as number) - 2];
    });
    const error = await expectRefusal(/the header lies/);
    expect(error.tensor).toBe(name);
  });

  it('refuses two tensors whose bytes overlap', async () => {
    await editHeader(shard1(), (h) => {
      const a = h['language.model.layers.0.input_layernorm.weight'] as { data_offsets: number[] };
      const b = h['language.model.layers.0.post_attention_layernorm.weight'] as { data_offsets: number[] };
      b.data_offsets = [...a.data_offsets];
    });
    await expectRefusal(
      /tensors language\.model\.layers\.0\.\w+\.weight and language\.model\.layers\.0\.\w+\.weight overlap/,
    );
  });

  it('refuses a wrong dtype', async () => {
    const name = await firstTensor(shard1());
    await editHeader(shard1(), (h) => {
      (h[name] as { dtype: string }).dtype = 'F16';
    });
    await expectRefusal(new RegExp(`${name.replace(/\./g, '\\.')} .* is F16; expected BF16`));
  });

  it('refuses a dtype that safetensors does not define', async () => {
    const name = await firstTensor(shard1());
    await editHeader(shard1(), (h) => {
      (h[name] as { dtype: string }).dtype = 'Q4_K';
    });
    const error = await expectRefusal(/has dtype "Q4_K", which is not a safetensors dtype/);
    expect(error.tensor).toBe(name);
  });

  it('refuses a shape mismatch, saying expected and found', async () => {
    await editHeader(shard1(), (h) => {
      for (const [name, entry] of Object.entries(h)) {
        if (name !== '__metadata__' && entry.shape.length === 2 && entry.shape[0] !== entry.shape[1]) {
          entry.shape = [entry.shape[1] as number, entry.shape[0] as number];
          return;
        }
      }
    });
    await expectRefusal(/has shape \[\d+, \d+\], expected \[\d+, \d+\]/);
  });

  it('refuses a header that is not JSON', async () => {
    const bytes = await readFile(shard1());
    bytes[9] = '!'.charCodeAt(0);
    await writeFile(shard1(), bytes);
    await expectRefusal(/not valid JSON/);
  });

  it('refuses a header length past the limit', async () => {
    const bytes = await readFile(shard1());
    bytes.writeBigUInt64LE(2n ** 40n, 0);
    await writeFile(shard1(), bytes);
    await expectRefusal(/exceeds the .* limit/);
  });

  it('refuses unknown config values by name', async () => {
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    config.language_config.topk_method = 'mystery_routing';
    await writeFile(configPath, JSON.stringify(config));
    await expectRefusal(/unsupported topk_method 'mystery_routing'/, UnsupportedError);
  });

  it.each([
    ['language_config', 'scoring_func', 'relu', /unsupported scoring_func 'relu'/],
    ['language_config', 'hidden_act', 'gelu', /unsupported hidden_act 'gelu'/],
    ['language_config', 'rope_scaling', { type: 'yarn', factor: 4 }, /rope_scaling is not supported/],
    ['language_config', 'moe_layer_freq', 2, /unsupported language_config\.moe_layer_freq 2/],
    ['language_config', 'num_key_value_heads', 2, /unsupported language_config\.num_key_value_heads 2/],
    ['language_config', 'tie_word_embeddings', true, /unsupported language_config\.tie_word_embeddings true/],
    ['projector_config', 'projector_type', 'linear', /unsupported projector_type 'linear'/],
    ['projector_config', 'downsample_ratio', 3, /unsupported projector_config\.downsample_ratio 3/],
    ['vision_config', 'class_token', true, /unsupported vision_config\.class_token true/],
  ])('refuses an unsupported %s.%s by name', async (section, key, value, pattern) => {
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    config[section][key] = value;
    await writeFile(configPath, JSON.stringify(config));
    await expectRefusal(pattern, UnsupportedError);
  });

  it.each([
    ['n_group', 3, /n_group 3 must divide n_routed_experts 8/],
    ['topk_group', 2, /topk_group 2 must be 1\.\.n_group \(1\)/],
    ['num_experts_per_tok', 9, /num_experts_per_tok 9 must be 1\.\.n_routed_experts \(8\)/],
    ['vocab_size', 'many', /language_config\.vocab_size has an invalid value "many"/],
    ['num_attention_heads', 3, /hidden_size 64 is not a multiple of num_attention_heads 3/],
  ])('refuses an impossible language_config.%s', async (key, value, pattern) => {
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    config.language_config[key] = value;
    if (key === 'num_attention_heads') config.language_config.num_key_value_heads = value;
    await writeFile(configPath, JSON.stringify(config));
    await expectRefusal(pattern);
  });

  it('refuses a missing config.json', async () => {
    await unlink(join(dir, 'config.json'));
    await expectRefusal(/config\.json not found/);
  });

  it('reports unexpected extra tensors without failing', async () => {
    await editHeader(shard1(), (h) => {
      const name = Object.keys(h).find((k) => k !== '__metadata__') as string;
      h['language.model.extra_thing'] = {
        ...(h[name] as { dtype: string; shape: number[]; data_offsets: number[] }),
      };
      (h['language.model.extra_thing'] as { data_offsets: number[] }).data_offsets = [0, 0];
      (h['language.model.extra_thing'] as { shape: number[] }).shape = [0];
    });
    const table = await openCheckpoint(dir);
    expect(table.unexpectedTensors).toEqual(['language.model.extra_thing']);
  });

  it('reports an unexpected tensor of a dtype the engine does not read, without failing', async () => {
    await editHeader(shard1(), (h) => {
      h['language.model.extra_counts'] = { dtype: 'I64', shape: [0], data_offsets: [0, 0] };
    });
    const table = await openCheckpoint(dir);
    expect(table.unexpectedTensors).toEqual(['language.model.extra_counts']);
  });

  it('the native loader re-checks bounds when handed a table that lies', async () => {
    const table = await openCheckpoint(dir);
    const tensor = table.tensors[0] as (typeof table.tensors)[number];
    tensor.offset += 10 ** 9;
    const error = await nativeAddon()
      .loadModel(table, {})
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as { code?: string }).code).toBe('VL2_CHECKPOINT');
    expect((error as Error).message).toMatch(/past the end .* truncated/);
  });
});
