/**
 * The portable kernels (what a CPU without AVX2+FMA runs) against the official reference. This file
 * runs in its own process (vitest forks), where VL2_CPU_KERNELS=portable is set before the addon
 * decides its kernel set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineModel } from '../../lib/engine/native-model.js';
import {
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

process.env.VL2_CPU_KERNELS = 'portable';

const models = new Map<ModelVariant, EngineModel>();

beforeAll(async () => {
  for (const variant of modelVariants) {
    models.set(variant, await EngineModel.load(goldenPath('models', variant), { cacheTokens: 2048 }));
  }
});

afterAll(() => {
  for (const model of models.values()) model.close();
});

describe.each(modelVariants)('%s model on the portable kernels', (variant) => {
  it('one-image: vision, projector and logits match the reference', async () => {
    const model = models.get(variant) as EngineModel;
    expect(model.info().cpuKernels).toBe('portable');
    const golden = goldenCase(variant, 'one-image');
    const sequence = model.createSequence();
    try {
      const result = await model.prefill(
        sequence,
        {
          inputIds: golden.input_ids,
          tiles: readU8(golden.tiles_file as string),
          imagesSpatialCrop: golden.images_spatial_crop.flat(),
          imageTokenPositions: golden.image_token_positions,
        },
        { capture: true },
      );
      const file = (suffix: string) => readF32('cases', `${variant}-one-image.${suffix}.f32`);
      expect(relativeError(result.vision0 as Float32Array, file('vision0'))).toBeLessThan(fp32Tolerance);
      expect(relativeError(result.projector0 as Float32Array, file('projector0'))).toBeLessThan(
        fp32Tolerance,
      );
      expect(relativeError(result.logits, file('logits_last'))).toBeLessThan(fp32Tolerance);
    } finally {
      model.freeSequence(sequence);
    }
  });
});
