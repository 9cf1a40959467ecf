/**
 * The portable kernels (what a CPU without AVX2+FMA runs) against the official reference. This file
 * runs in its own process (vitest forks), where VL2_CPU_KERNELS=portable is set before the addon
 * decides its kernel set.
 */
import { describe, expect, it } from 'vitest';
import type { EngineModel } from '../../lib/engine/native-model.js';
import {
  fp32Tolerance,
  goldenCase,
  goldenPrompt,
  modelVariants,
  readF32,
  relativeError,
} from '../support/golden.js';
import { useGoldenModels } from '../support/golden-models.js';

process.env.VL2_CPU_KERNELS = 'portable';

const models = useGoldenModels(2048);

describe.each(modelVariants)('%s model on the portable kernels', (variant) => {
  it('one-image: vision, projector and logits match the reference', async () => {
    const model = models.get(variant) as EngineModel;
    expect(model.info().cpuKernels).toBe('portable');
    const golden = goldenCase(variant, 'one-image');
    const sequence = model.createSequence();
    try {
      const result = await model.prefill(sequence, goldenPrompt(golden), { capture: true });
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
