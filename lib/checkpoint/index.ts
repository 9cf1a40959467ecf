/**
 * Opens a DeepSeek-VL2 model directory exactly as Hugging Face publishes it and validates it
 * completely before the native engine maps a byte: config, index, every shard header, every tensor the
 * config implies (name, dtype, shape). The result is the table the native loader consumes.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckpointError } from '../errors.js';
import { type ModelConfig, parseModelConfig, type RawModelConfig } from './config.js';
import { eachExpectedTensor, unusedTensorPrefixes } from './expected-tensors.js';
import { readShardHeader, type TensorDtype } from './safetensors.js';

export type { LanguageConfig, ModelConfig, ProjectorConfig, VisionConfig } from './config.js';
export { parseModelConfig } from './config.js';
export { type ExpectedTensor, expectedTensors } from './expected-tensors.js';

/** One tensor for the native loader; offset is absolute within files[file]. */
export interface TensorEntry {
  name: string;
  file: number;
  offset: number;
  byteLength: number;
  dtype: TensorDtype;
  shape: number[];
}

/** A validated checkpoint: what the native engine maps and how to read it. */
export interface CheckpointTable {
  dir: string;
  files: string[];
  tensors: TensorEntry[];
  config: RawModelConfig;
  /** The parsed, typed configuration. */
  modelConfig: ModelConfig;
  /** Total bytes of tensor data the model uses. */
  weightBytes: number;
  /** Tensors in the files that the model does not know (reported, not fatal). */
  unexpectedTensors: string[];
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CheckpointError(`${what} not found: ${path}`, { file: path, cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`${path} is not valid JSON`, { file: path, cause: error });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

/** The shard files of a model directory: model.safetensors, or the ones the index names. */
async function shardFiles(dir: string): Promise<{ files: string[]; weightMap?: Record<string, string> }> {
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (await exists(indexPath)) {
    const index = await readJson(indexPath, 'safetensors index');
    const weightMap =
      typeof index === 'object' && index !== null
        ? (index as { weight_map?: unknown }).weight_map
        : undefined;
    if (typeof weightMap !== 'object' || weightMap === null) {
      throw new CheckpointError(`${indexPath} has no weight_map`, { file: indexPath });
    }
    const names = [...new Set(Object.values(weightMap as Record<string, string>))].sort();
    for (const name of names) {
      // A shard is a file beside the index: '', '.' and '..' name folders (found by test/fuzz).
      if (
        typeof name !== 'string' ||
        name.includes('/') ||
        name.includes('\\') ||
        name === '' ||
        name === '.' ||
        name === '..'
      ) {
        throw new CheckpointError(`${indexPath} names an invalid shard ${JSON.stringify(name)}`, {
          file: indexPath,
        });
      }
      if (!(await isFile(join(dir, name)))) {
        throw new CheckpointError(`${indexPath} points to a missing shard ${name}`, {
          file: join(dir, name),
        });
      }
    }
    return { files: names.map((n) => join(dir, n)), weightMap: weightMap as Record<string, string> };
  }
  const single = join(dir, 'model.safetensors');
  if (await exists(single)) return { files: [single] };
  throw new CheckpointError(`${dir} holds neither model.safetensors nor model.safetensors.index.json`, {
    file: dir,
  });
}

/** Reads and validates a model directory; throws CheckpointError naming the file and tensor at fault. */
export async function openCheckpoint(directory: string): Promise<CheckpointTable> {
  const dir = resolve(directory);
  if (!(await exists(dir))) throw new CheckpointError(`model directory not found: ${dir}`, { file: dir });
  const modelConfig = parseModelConfig(await readJson(join(dir, 'config.json'), 'config.json'));
  const { files, weightMap } = await shardFiles(dir);
  const headers = await Promise.all(files.map((f) => readShardHeader(f)));

  const found = new Map<string, Omit<TensorEntry, 'dtype'> & { dtype: string }>();
  headers.forEach((header, fileIndex) => {
    for (const t of header.tensors) {
      if (found.has(t.name)) {
        throw new CheckpointError(`tensor ${t.name} appears in two shards`, {
          file: header.path,
          tensor: t.name,
        });
      }
      if (
        weightMap &&
        weightMap[t.name] !== undefined &&
        join(dir, weightMap[t.name] as string) !== header.path
      ) {
        throw new CheckpointError(
          `the index places ${t.name} in ${weightMap[t.name]} but it is in ${header.path}`,
          {
            file: header.path,
            tensor: t.name,
          },
        );
      }
      found.set(t.name, {
        name: t.name,
        file: fileIndex,
        offset: t.offset,
        byteLength: t.byteLength,
        dtype: t.dtype,
        shape: t.shape,
      });
    }
  });

  const tensors: TensorEntry[] = [];
  for (const expected of eachExpectedTensor(modelConfig)) {
    const entry = found.get(expected.name);
    if (!entry) {
      const where = weightMap?.[expected.name] ? ` (the index says ${weightMap[expected.name]})` : '';
      throw new CheckpointError(`the checkpoint has no tensor ${expected.name}${where}`, {
        file: dir,
        tensor: expected.name,
      });
    }
    const file = files[entry.file] as string;
    if (entry.dtype !== 'BF16') {
      throw new CheckpointError(`tensor ${expected.name} in ${file} is ${entry.dtype}; expected BF16`, {
        file,
        tensor: expected.name,
      });
    }
    if (entry.shape.join(',') !== expected.shape.join(',')) {
      throw new CheckpointError(
        `tensor ${expected.name} in ${file} has shape [${entry.shape.join(', ')}], expected [${expected.shape.join(', ')}]`,
        { file, tensor: expected.name },
      );
    }
    tensors.push({ ...entry, dtype: 'BF16' });
    found.delete(expected.name);
  }
  const unexpectedTensors = [...found.keys()]
    .filter((n) => !unusedTensorPrefixes.some((p) => n.startsWith(p)))
    .sort();
  return {
    dir,
    files,
    tensors,
    config: modelConfig.raw,
    modelConfig,
    weightBytes: tensors.reduce((sum, t) => sum + t.byteLength, 0),
    unexpectedTensors,
  };
}
