/**
 * Prefix caching: a prompt that shares whole 64-token blocks with an earlier one (images included, by
 * content) reuses their cache blocks and the image's vision features; the logits do not change. A
 * different image with the same token ids must not hit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineModel } from '../../lib/engine/native-model.js';
import type { EnginePrompt } from '../../lib/engine/native-types.js';
import { goldenCase, goldenPath, readU8, relativeError } from '../support/golden.js';

let model: EngineModel;
beforeAll(async () => {
  model = await EngineModel.load(goldenPath('models', 'tiny'), { cacheTokens: 8192 });
});
afterAll(() => model.close());

const golden = goldenCase('tiny', 'one-image');
const prompt = (tiles: Uint8Array): EnginePrompt => ({
  inputIds: golden.input_ids,
  tiles,
  imagesSpatialCrop: golden.images_spatial_crop.flat(),
  imageTokenPositions: golden.image_token_positions,
});

async function logitsOf(p: EnginePrompt): Promise<Float32Array> {
  const sequence = model.createSequence();
  try {
    return (await model.prefill(sequence, p)).logits;
  } finally {
    model.freeSequence(sequence);
  }
}

describe('prefix cache', () => {
  it('reuses the blocks and vision features of a repeated prompt without changing its logits', async () => {
    const tiles = readU8(golden.tiles_file as string);
    const first = await logitsOf(prompt(tiles));
    const before = model.info();
    const second = await logitsOf(prompt(tiles));
    const after = model.info();
    const fullBlocks = Math.floor((golden.input_ids.length - 1) / 64);
    expect(after.prefixHitBlocks - before.prefixHitBlocks).toBe(fullBlocks);
    expect(after.visionCacheHits - before.visionCacheHits).toBe(1);
    expect(relativeError(second, first)).toBeLessThan(1e-5);
  });

  it('does not match the same ids with a different image', async () => {
    const tiles = readU8(golden.tiles_file as string).slice();
    tiles[12345] = 255 - (tiles[12345] as number);
    const before = model.info();
    await logitsOf(prompt(tiles));
    const after = model.info();
    // Only the blocks before the first image token can match (the image starts at position 4).
    expect(after.prefixHitBlocks - before.prefixHitBlocks).toBe(0);
    expect(after.visionCacheHits - before.visionCacheHits).toBe(0);
  });

  it('keeps shared blocks alive while another sequence uses them', async () => {
    const tiles = readU8(golden.tiles_file as string);
    const a = model.createSequence();
    const b = model.createSequence();
    const la = (await model.prefill(a, prompt(tiles))).logits;
    const lb = (await model.prefill(b, prompt(tiles))).logits;
    model.freeSequence(a);
    // b still decodes correctly from the blocks it shares with the freed a.
    const next = await model.decode([{ sequence: b, token: golden.greedy_tokens[0] as number }]);
    const fresh = model.createSequence();
    const { logits } = await model.prefill(fresh, {
      ...prompt(tiles),
      inputIds: [...golden.input_ids, golden.greedy_tokens[0] as number],
    });
    expect(relativeError(lb, la)).toBeLessThan(1e-5);
    expect(relativeError(next, logits)).toBeLessThan(1e-5);
    model.freeSequence(b);
    model.freeSequence(fresh);
  });
});
