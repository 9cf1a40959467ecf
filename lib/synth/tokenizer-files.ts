/**
 * Tokenizer files for synthetic checkpoints, derived from the fixture tokenizer (DeepSeek's 129280-id
 * vocabulary). A smaller vocabulary (Small's 102400) keeps the lowest BPE ids, drops the merges that
 * would produce or use a dropped token, and renumbers the added special tokens into the top ids, so
 * every id the tokenizer can emit fits the embedding table.
 */
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

/** Writes tokenizer.json and tokenizer_config.json (taken from beside the fixture) into dir. */
export async function writeTokenizerFiles(
  fixtureTokenizerJson: string,
  dir: string,
  vocabSize: number,
): Promise<void> {
  const tokenizer = JSON.parse(await readFile(fixtureTokenizerJson, 'utf8')) as TokenizerJson;
  await writeFile(
    join(dir, 'tokenizer.json'),
    JSON.stringify(fitTokenizerToVocabulary(tokenizer, vocabSize)),
  );
  const config = await readFile(join(dirname(fixtureTokenizerJson), 'tokenizer_config.json'), 'utf8');
  await writeFile(join(dir, 'tokenizer_config.json'), config);
}
