/**
 * The portable kernels (what a CPU without AVX2+FMA runs) against the official reference. This file
 * runs in its own process (vitest forks), where VL2_CPU_KERNELS=portable is set before the addon
 * decides its kernel set.
 */
import { describe, expect, it } from 'vitest';
import type { EngineModel } from '../../lib/engine/native-model.js';
import * as golden from '../support/golden.js';
import { useGoldenModels } from '../support/golden-models.js';

process.env.VL2_CPU_KERNELS = 'portable';

const models = useGoldenModels(2048);

describe.each(golden.modelVariants)('%s model on the portable kernels', (variant) => {
  it('one-image: vision, projector and logits match the reference', async () => {
    const model = models.get(variant) as EngineModel;
    expect(model.info().cpuKernels).toBe('portable');
    const oneImage = golden.goldenCase(variant, 'one-image');
    const sequence = model.createSequence();
    try {
      const result = await model.prefill(sequence, golden.goldenPrompt(oneImage), { capture: true });
      const file = (suffix: string) => golden.readF32('cases', `${variant}-one-image.${suffix}.f32`);
      for (const [got, name] of [
        [result.vision0 as Float32Array, 'vision0'],
        [result.projector0 as Float32Array, 'projector0'],
        [result.logits, 'logits_last'],
      ] as const)
        expect(golden.relativeError(got, file(name)), name).toBeLessThan(golden.fp32Tolerance);
    } finally {
      model.freeSequence(sequence);
    }
  });
});
