/**
 * Which files of a repository the model needs, and whether a cached snapshot has them all. A hub repo
 * also holds READMEs, images and sometimes other weight formats: fetching only these keeps a pull
 * at the size of the weights.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileExists } from './cache-layout.js';

/** The files beside the weights that loading reads (config, processor, tokenizer). */
const modelMetadataFiles = new Set([
  'config.json',
  'processor_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'model.safetensors.index.json',
]);

/** Whether a repository path is one the model needs: the metadata above and top-level safetensors. */
export function isModelFile(path: string): boolean {
  return modelMetadataFiles.has(path) || /^[^/]+\.safetensors$/.test(path);
}

/**
 * The files a snapshot folder lacks for loading: config.json and the weights (every shard the index
 * names, or model.safetensors). Empty when the snapshot is complete.
 */
export async function missingModelFiles(dir: string): Promise<string[]> {
  const needed = ['config.json'];
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (await fileExists(indexPath)) {
    try {
      const index = JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map?: Record<string, string> };
      needed.push(...new Set(Object.values(index.weight_map ?? {})));
    } catch {
      needed.push('model.safetensors.index.json'); // unreadable: as good as missing
    }
  } else {
    needed.push('model.safetensors');
  }
  const missing: string[] = [];
  for (const file of needed) if (!(await fileExists(join(dir, file)))) missing.push(file);
  return missing;
}
