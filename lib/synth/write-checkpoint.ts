/**
 * Writes a synthetic DeepSeek-VL2 checkpoint in the published layout: config, processor config,
 * tokenizer files, bf16 safetensors shards with an index. Tensors are generated and written in
 * fixed-size chunks, so memory stays bounded whatever the model size.
 */

import { type FileHandle, mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseModelConfig } from '../checkpoint/config.js';
import { type ExpectedTensor, expectedTensors } from '../checkpoint/expected-tensors.js';
import { InvalidArgumentError } from '../errors.js';
import { FillPool } from './fill-pool.js';
import { initRule } from './init-scales.js';
import { bf16Bits, chunkSeed, pairTable } from './random.js';
import { readTokenizerFiles, writeTokenizerFiles } from './tokenizer-files.js';
import { processorConfig, type VariantName, variantConfig, variantNames } from './variants.js';

export interface SynthOptions {
  variant: VariantName;
  out: string;
  /** Language layers (default: the variant's full depth); the first is dense, the rest MoE. */
  layers?: number;
  seed?: number;
  /** The fixture tokenizer.json the tokenizer files derive from; without it none are written. */
  tokenizerJson?: string;
  /** Toy width (see variants.ts), for demos and tests. */
  toy?: boolean;
  /** Threads generating random values (default: one per core, at most 8). */
  threads?: number;
  /** Largest shard in bytes (the published checkpoints use a few GB). */
  maxShardBytes?: number;
  onProgress?: (writtenBytes: number, totalBytes: number) => void;
}

/** Values generated per write: 8 MiB of bf16 keeps memory flat and writes large. */
const chunkElements = 4 * 1024 * 1024;

export async function writeSyntheticCheckpoint(
  options: SynthOptions,
): Promise<{ totalBytes: number; shards: string[] }> {
  if (!variantNames.includes(options.variant)) {
    throw new InvalidArgumentError(
      `variant must be one of ${variantNames.join(', ')}, got ${options.variant}`,
    );
  }
  if (options.layers !== undefined && (!Number.isInteger(options.layers) || options.layers < 1)) {
    throw new InvalidArgumentError(`layers must be a positive integer, got ${options.layers}`);
  }
  const configJson = variantConfig(options.variant, options.layers, options.toy);
  const config = parseModelConfig(configJson);
  const tensors = expectedTensors(config);
  const seed = options.seed ?? 0;
  const maxShardBytes = options.maxShardBytes ?? 4 * 1024 ** 3;
  // Read (and refused) before the weights: a bad tokenizer file must not cost gigabytes of writing.
  const tokenizerFiles = options.tokenizerJson
    ? await readTokenizerFiles(options.tokenizerJson, config.language.vocabSize)
    : undefined;

  const shards: ExpectedTensor[][] = [[]];
  let shardBytes = 0;
  for (const tensor of tensors) {
    const bytes = tensor.shape.reduce((a, d) => a * d, 2);
    if (shardBytes > 0 && shardBytes + bytes > maxShardBytes) {
      shards.push([]);
      shardBytes = 0;
    }
    (shards[shards.length - 1] as ExpectedTensor[]).push(tensor);
    shardBytes += bytes;
  }
  await mkdir(options.out, { recursive: true });
  const totalBytes = tensors.reduce((sum, t) => sum + t.shape.reduce((a, d) => a * d, 2), 0);
  const names = shards.map(
    (_, i) =>
      `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`,
  );
  const weightMap: Record<string, string> = {};
  let written = 0;
  const languageLayers = config.language.numHiddenLayers;
  const pool = new FillPool(chunkElements * 2, options.threads);
  const tables = new Map<number, Uint32Array>();
  try {
    for (let s = 0; s < shards.length; s++) {
      const shard = shards[s] as ExpectedTensor[];
      for (const t of shard) weightMap[t.name] = names[s] as string;
      const handle = await open(join(options.out, names[s] as string), 'w');
      try {
        const file = { handle, position: 0 };
        await writeAll(file, safetensorsHeader(shard));
        // Chunks in file order; the oldest is written while the pool generates the next ones.
        const inFlight: { bytes: Promise<Uint8Array>; pooled: boolean }[] = [];
        const writeOldest = async () => {
          const chunk = inFlight.shift() as { bytes: Promise<Uint8Array>; pooled: boolean };
          const bytes = await chunk.bytes;
          await writeAll(file, bytes);
          if (chunk.pooled) pool.release(bytes);
          written += bytes.byteLength;
          options.onProgress?.(written, totalBytes);
        };
        for (const tensor of shard) {
          const rule = initRule(tensor.name, tensor.shape, languageLayers, config.vision.layers);
          const elements = tensor.shape.reduce((a, d) => a * d, 1);
          for (let chunk = 0; chunk * chunkElements < elements; chunk++) {
            const count = Math.min(chunkElements, elements - chunk * chunkElements);
            if (inFlight.length >= pool.buffers) await writeOldest();
            if (rule.kind === 'constant') {
              const values = new Uint16Array(count).fill(bf16Bits(rule.value));
              inFlight.push({ bytes: Promise.resolve(new Uint8Array(values.buffer)), pooled: false });
            } else {
              const table = tables.get(rule.std) ?? pairTable(rule.std);
              tables.set(rule.std, table);
              const { bytes } = await pool.fill(table, chunkSeed(seed, tensor.name, chunk), count);
              inFlight.push({ bytes, pooled: true });
            }
          }
        }
        while (inFlight.length > 0) await writeOldest();
      } finally {
        await handle.close();
      }
    }
  } finally {
    await pool.close();
  }
  await writeFile(
    join(options.out, 'model.safetensors.index.json'),
    `${JSON.stringify({ metadata: { total_size: totalBytes }, weight_map: weightMap }, null, 2)}\n`,
  );
  await writeFile(join(options.out, 'config.json'), `${JSON.stringify(configJson, null, 2)}\n`);
  await writeFile(
    join(options.out, 'processor_config.json'),
    `${JSON.stringify(processorConfig(), null, 2)}\n`,
  );
  if (tokenizerFiles) await writeTokenizerFiles(tokenizerFiles, options.out);
  return { totalBytes, shards: names };
}

async function writeAll(file: { handle: FileHandle; position: number }, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await file.handle.write(bytes, done, bytes.byteLength - done, file.position);
    done += bytesWritten;
    file.position += bytesWritten;
  }
}

function safetensorsHeader(tensors: ExpectedTensor[]): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, d) => a * d, 2);
    header[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // data starts 8-byte aligned, as safetensors writes it
  const body = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + body.length);
  out.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(out, 8);
  return out;
}
