/**
 * The language model against the official reference: every golden case's prompt embeddings, hidden
 * states after each layer and last-position logits, with the golden README's fp32 tolerance (the
 * vision path has its own file, vision.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineModel } from '../../lib/engine/native-model.js';
import {
  caseNames,
  goldenCase,
  goldenPath,
  type ModelVariant,
  modelVariants,
  readF32,
  readU8,
  relativeError,
} from '../support/golden.js';

/** fp32 arithmetic must agree with the reference to this relative error (golden README). */
const fp32Tolerance = 1e-4;

const models = new Map<ModelVariant, EngineModel>();

beforeAll(async () => {
  for (const variant of modelVariants) {
    models.set(variant, await EngineModel.load(goldenPath('models', variant), { cacheTokens: 4096 }));
  }
});

afterAll(() => {
  for (const model of models.values()) model.close();
});

describe.each(modelVariants)('%s model', (variant) => {
  it.each(caseNames)('%s: prompt embeddings, hidden states and logits', async (name) => {
    const golden = goldenCase(variant, name);
    const model = models.get(variant) as EngineModel;
    const sequence = model.createSequence();
    try {
      const result = await model.prefill(
        sequence,
        {
          inputIds: golden.input_ids,
          tiles: golden.tiles_file ? readU8(golden.tiles_file) : undefined,
          imagesSpatialCrop: golden.images_spatial_crop.flat(),
          imageTokenPositions: golden.image_token_positions,
        },
        { capture: true },
      );
      const file = (suffix: string) => readF32('cases', `${variant}-${name}.${suffix}.f32`);
      expect(relativeError(result.embeds as Float32Array, file('embeds'))).toBeLessThan(fp32Tolerance);
      expect(relativeError(result.hiddenLast as Float32Array, file('hidden_last'))).toBeLessThan(
        fp32Tolerance,
      );
      expect(relativeError(result.logits, file('logits_last'))).toBeLessThan(fp32Tolerance);
    } finally {
      model.freeSequence(sequence);
    }
  });
});
