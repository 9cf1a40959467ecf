/**
 * The language model against the official reference: every golden case's prompt embeddings, hidden
 * states after each layer and last-position logits, with the golden README's fp32 tolerance (the
 * vision path has its own file, vision.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { EngineModel } from '../../lib/engine/native-model.js';
import {
  caseNames,
  fp32Tolerance,
  goldenCase,
  goldenPrompt,
  modelVariants,
  readF32,
  relativeError,
} from '../support/golden.js';
import { useGoldenModels } from '../support/golden-models.js';

const models = useGoldenModels(4096);

describe.each(modelVariants)('%s model', (variant) => {
  it.each(caseNames)('%s: prompt embeddings, hidden states and logits', async (name) => {
    const golden = goldenCase(variant, name);
    const model = models.get(variant) as EngineModel;
    const sequence = model.createSequence();
    try {
      const result = await model.prefill(sequence, goldenPrompt(golden), { capture: true });
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
