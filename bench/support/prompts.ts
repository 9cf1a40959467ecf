/** Engine-level prompts for benches: seeded random text ids and random image tiles, no tokenizer needed. */
import type { ModelConfig } from '../../lib/checkpoint/config.js';
import type { EnginePrompt } from '../../lib/engine/native-types.js';

const tileBytes = 384 * 384 * 3;

/** A small seeded generator (mulberry32), so runs and backends see the same prompts. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Prompt positions one image of `across` x `down` local tiles takes (SPEC section 4). */
export function imageTokens(across: number, down: number, side = 14): number {
  return side * (side + 1) + 1 + side * down * (side * across + 1);
}

/**
 * `textTokens` random ids, then (optionally) one image of across x down local tiles with random
 * pixels; ids stay clear of the special tokens at the ends of the vocabulary.
 */
export function randomPrompt(
  config: ModelConfig,
  seed: number,
  textTokens: number,
  image?: { across: number; down: number },
): EnginePrompt {
  const next = seededRandom(seed);
  const vocab = config.language.vocabSize;
  const ids = [config.language.bosTokenId];
  for (let i = 1; i < textTokens; i++) ids.push(3 + Math.floor(next() * (vocab - 1000)));
  if (!image) return { inputIds: ids };
  const count = imageTokens(image.across, image.down);
  const first = ids.length;
  for (let i = 0; i < count; i++) ids.push(3);
  ids.push(3 + Math.floor(next() * 100));
  const tiles = new Uint8Array((1 + image.across * image.down) * tileBytes);
  for (let i = 0; i < tiles.length; i += 4) {
    const r = (next() * 4294967296) >>> 0;
    tiles[i] = r & 255;
    tiles[i + 1] = (r >>> 8) & 255;
    tiles[i + 2] = (r >>> 16) & 255;
    tiles[i + 3] = r >>> 24;
  }
  return {
    inputIds: ids,
    tiles,
    imagesSpatialCrop: [image.across, image.down],
    imageTokenPositions: Array.from({ length: count }, (_, i) => first + i),
  };
}
