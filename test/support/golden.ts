/**
 * The one loader every golden test uses: paths into ../shared/golden and typed readers for its
 * JSON and float32 files (format: ../shared/golden/README.md). Expected values come only from there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** ../shared/golden next to this checkout, or $VL2_GOLDEN_DIR (the GPU machine carries a copy). */
export const goldenDir = resolve(
  process.env.VL2_GOLDEN_DIR ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'golden'),
);

if (!existsSync(goldenDir)) {
  throw new Error(
    `golden fixtures not found at ${goldenDir}; set VL2_GOLDEN_DIR or put shared/ beside the checkout`,
  );
}

export const goldenPath = (...parts: string[]) => join(goldenDir, ...parts);

export const modelVariants = ['tiny', 'small', 'base'] as const;
export type ModelVariant = (typeof modelVariants)[number];
export const caseNames = ['text', 'one-image', 'two-images', 'three-images', 'multi-turn', 'wide'] as const;

export interface TopK {
  ids: number[];
  values: number[];
  logsumexp: number;
}

/** cases/<model>-<case>.json, the fields the README documents. */
export interface GoldenCase {
  name: string;
  variant: ModelVariant;
  /** The official conversation: roles '<|User|>' / '<|Assistant|>', the last one open (empty). */
  conversation: { role: string; content: string }[];
  system_prompt: string;
  images: string[];
  sft_format: string;
  input_ids: number[];
  image_token_positions: number[];
  images_spatial_crop: [number, number][];
  num_image_tokens: number[];
  num_tiles: number;
  tiles_file?: string;
  vision0_shape?: [number, number];
  projector0_shape?: [number, number];
  seq_len: number;
  tail_positions: number[];
  tail_topk: TopK[];
  greedy_tokens: number[];
  greedy_step_topk: TopK[];
  greedy_top2_margins: number[];
}

export function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(goldenPath(...parts), 'utf8')) as T;
}

export function readF32(...parts: string[]): Float32Array {
  const bytes = readFileSync(goldenPath(...parts));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

export function readU8(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(goldenPath(...parts)));
}

export function goldenCase(variant: ModelVariant, name: string): GoldenCase {
  return readJson<GoldenCase>('cases', `${variant}-${name}.json`);
}

/** The README's error measure: ||a - b|| / ||b||. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`length ${actual.length} != expected ${expected.length}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const d = (actual[i] as number) - e;
    diff += d * d;
    norm += e * e;
  }
  return Math.sqrt(diff) / Math.sqrt(norm);
}

/** Tiles [n][384][384][3] against golden ones: mean absolute difference over all, and the worst tile's. */
export function tileDifferences(
  actual: Uint8Array,
  expected: Uint8Array,
  tileBytes = 384 * 384 * 3,
): { mad: number; worstTileMad: number } {
  if (actual.length !== expected.length)
    throw new Error(`length ${actual.length} != expected ${expected.length}`);
  let total = 0;
  let worstTileMad = 0;
  for (let start = 0; start < expected.length; start += tileBytes) {
    let diff = 0;
    for (let i = start; i < start + tileBytes; i++)
      diff += Math.abs((actual[i] as number) - (expected[i] as number));
    worstTileMad = Math.max(worstTileMad, diff / tileBytes);
    total += diff;
  }
  return { mad: total / expected.length, worstTileMad };
}

export interface GoldenMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  images: string[];
}

/** A golden conversation in the public message form; images handed out in placeholder order. */
export function conversationOf(
  golden: GoldenCase,
): { role: 'user' | 'assistant'; content: string; images: string[] }[] {
  const images = golden.images.map((name) => goldenPath('images', name));
  const messages: { role: 'user' | 'assistant'; content: string; images: string[] }[] = [];
  for (const { role, content } of golden.conversation) {
    if (role === '<|Assistant|>' && content === '') continue; // the open turn
    const count = content.split('<image>').length - 1;
    messages.push({
      role: role === '<|User|>' ? 'user' : 'assistant',
      content,
      images: images.splice(0, count),
    });
  }
  return messages;
}

/** fp32 arithmetic must agree with the reference to this relative error (golden README). */
export const fp32Tolerance = 1e-4;

/** A golden case's prompt as the engine takes it (the first `tokens` ids, default all). */
export function goldenPrompt(golden: GoldenCase, tokens = golden.input_ids.length) {
  return {
    inputIds: golden.input_ids.slice(0, tokens),
    tiles: golden.tiles_file ? readU8(golden.tiles_file) : undefined,
    imagesSpatialCrop: golden.images_spatial_crop.flat(),
    imageTokenPositions: golden.image_token_positions,
  };
}

/** The engine surface the batched walk needs (EngineModel; a type only, so no runtime import). */
interface DecodingModel {
  createSequence(): number;
  freeSequence(sequence: number): void;
  prefill(sequence: number, prompt: ReturnType<typeof goldenPrompt>): Promise<unknown>;
  decode(requests: { sequence: number; token: number }[]): Promise<Float32Array>;
  info(): { vocabSize: number };
}

/**
 * Every case of a variant prefilled, then decoded together: one batched step per golden greedy
 * token (sequences of different lengths in one launch); `visit` gets each case's logits row.
 */
export async function decodeCasesBatched(
  model: DecodingModel,
  variant: ModelVariant,
  visit: (row: Float32Array, golden: GoldenCase, step: number) => void,
  names: readonly string[] = caseNames,
): Promise<void> {
  const cases = names.map((name) => goldenCase(variant, name));
  const sequences: number[] = [];
  try {
    for (const golden of cases) {
      const sequence = model.createSequence();
      sequences.push(sequence);
      await model.prefill(sequence, goldenPrompt(golden));
    }
    const vocab = model.info().vocabSize;
    const steps = Math.min(...cases.map((c) => c.greedy_step_topk.length));
    for (let step = 0; step < steps; step++) {
      const logits = await model.decode(
        cases.map((golden, i) => ({
          sequence: sequences[i] as number,
          token: golden.greedy_tokens[step] as number,
        })),
      );
      if (logits.length !== vocab * cases.length) throw new Error(`decode returned ${logits.length} logits`);
      cases.forEach((golden, i) => {
        visit(logits.subarray(i * vocab, (i + 1) * vocab), golden, step);
      });
    }
  } finally {
    for (const sequence of sequences) model.freeSequence(sequence);
  }
}

/** The largest absolute byte difference and how many bytes differ. */
export function byteDifferences(actual: Uint8Array, expected: Uint8Array): { max: number; count: number } {
  let max = 0;
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs((actual[i] as number) - (expected[i] as number));
    if (d > 0) count++;
    max = Math.max(max, d);
  }
  return { max, count };
}

/** The index of the largest logit (the lower index on a tie). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/** 1 + how many logits are larger than the one at `id`. */
export function rankOf(logits: Float32Array, id: number): number {
  const value = logits[id] as number;
  let rank = 1;
  for (const v of logits) if (v > value) rank++;
  return rank;
}

/** The gap between the largest and the second largest logit (the greedy choice's margin). */
export function topTwoMargin(logits: Float32Array): number {
  let first = -Infinity;
  let second = -Infinity;
  for (const v of logits) {
    if (v > first) [first, second] = [v, first];
    else if (v > second) second = v;
  }
  return first - second;
}
