/**
 * Tokenizer files for synthetic checkpoints, derived from the fixture tokenizer (DeepSeek's 129280-id
 * vocabulary). A smaller vocabulary (Small's 102400) keeps the lowest BPE ids, drops the merges that
 * would produce or use a dropped token, and renumbers the added special tokens into the top ids, so
 * every id the tokenizer can emit fits the embedding table.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';

interface AddedToken {
  id: number;
  content: string;
}

interface TokenizerJson {
  added_tokens: AddedToken[];
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
}

export function fitTokenizerToVocabulary(tokenizer: TokenizerJson, vocabSize: number): TokenizerJson {
  let highest = 0;
  for (const id of Object.values(tokenizer.model.vocab)) highest = Math.max(highest, id);
  for (const token of tokenizer.added_tokens) highest = Math.max(highest, token.id);
  if (highest < vocabSize) return tokenizer;
  const vocabIds = new Set(Object.values(tokenizer.model.vocab));
  const relocated = tokenizer.added_tokens.filter((t) => !vocabIds.has(t.id));
  const firstRelocated = vocabSize - relocated.length;
  if (firstRelocated < 512)
    throw new InvalidArgumentError(`a vocabulary of ${vocabSize} is too small for this tokenizer`);
  const vocab: Record<string, number> = {};
  for (const [token, id] of Object.entries(tokenizer.model.vocab)) if (id < firstRelocated) vocab[token] = id;
  const merges = tokenizer.model.merges.filter((merge) => {
    const [a, b] = typeof merge === 'string' ? (merge.split(' ') as [string, string]) : merge;
    return a in vocab && b in vocab && `${a}${b}` in vocab;
  });
  const renumbered = new Map(relocated.map((t, i) => [t.id, firstRelocated + i]));
  const added_tokens = tokenizer.added_tokens.map((t) => ({ ...t, id: renumbered.get(t.id) ?? t.id }));
  return { ...tokenizer, added_tokens, model: { ...tokenizer.model, vocab, merges } };
}

/**
 * DeepSeek-VL2's tokenizer_config.json (the keys the fixture keeps), written when none lies beside the
 * given tokenizer.json: the loader reads it for decoding (clean_up_tokenization_spaces: false keeps
 * " ." as the model wrote it) and a published checkpoint always has one.
 */
export const defaultTokenizerConfig = {
  tokenizer_class: 'LlamaTokenizerFast',
  add_bos_token: false,
  add_eos_token: false,
  bos_token: '<｜begin▁of▁sentence｜>',
  eos_token: '<｜end▁of▁sentence｜>',
  pad_token: '<｜▁pad▁｜>',
  model_max_length: 4096,
  legacy: true,
  clean_up_tokenization_spaces: false,
};

/** The two tokenizer files of a synthetic checkpoint, as text ready to write. */
export interface TokenizerFiles {
  tokenizerJson: string;
  tokenizerConfig: string;
}

/**
 * Reads the tokenizer.json to derive from (and the tokenizer_config.json beside it, when there is one)
 * and fits it to the vocabulary. Done before any weight is written, so a bad file costs no gigabytes.
 */
export async function readTokenizerFiles(
  fixtureTokenizerJson: string,
  vocabSize: number,
): Promise<TokenizerFiles> {
  const tokenizer = parseJsonFile(
    await readText(fixtureTokenizerJson),
    fixtureTokenizerJson,
  ) as TokenizerJson;
  if (!Array.isArray(tokenizer?.added_tokens) || typeof tokenizer.model?.vocab !== 'object') {
    throw new InvalidArgumentError(
      `${fixtureTokenizerJson} is not a tokenizer.json (it has no added_tokens or model.vocab)`,
    );
  }
  const configPath = join(dirname(fixtureTokenizerJson), 'tokenizer_config.json');
  const configText = existsSync(configPath)
    ? await readText(configPath)
    : `${JSON.stringify(defaultTokenizerConfig, null, 1)}\n`;
  parseJsonFile(configText, configPath);
  return {
    tokenizerJson: JSON.stringify(fitTokenizerToVocabulary(tokenizer, vocabSize)),
    tokenizerConfig: configText,
  };
}

/** Writes tokenizer.json and tokenizer_config.json into dir. */
export async function writeTokenizerFiles(files: TokenizerFiles, dir: string): Promise<void> {
  await writeFile(join(dir, 'tokenizer.json'), files.tokenizerJson);
  await writeFile(join(dir, 'tokenizer_config.json'), files.tokenizerConfig);
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`cannot read the tokenizer file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function parseJsonFile(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`the tokenizer file ${path} is not valid JSON`, { cause: error });
  }
}
