/**
 * The language model against the official reference: every golden case's prompt embeddings, hidden
 * states after each layer and last-position logits, with the golden README's fp32 tolerance (the
 * vision path has its own file, vision.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { caseNames, fp32Tolerance, modelVariants, relativeError } from '../support/golden.js';
import { useGoldenModels, withCapturedPrefill } from '../support/golden-models.js';

const models = useGoldenModels(4096);

describe.each(modelVariants)('%s model', (variant) => {
  it.each(caseNames)('%s: prompt embeddings, hidden states and logits', (name) =>
    withCapturedPrefill(models, variant, name, ({ result, model, reference }) => {
      expect(relativeError(result.embeds as Float32Array, reference('embeds'))).toBeLessThan(fp32Tolerance);
      expect(relativeError(result.hiddenLast as Float32Array, reference('hidden_last'))).toBeLessThan(
        fp32Tolerance,
      );
      expect(relativeError(result.logits, reference('logits_last'))).toBeLessThan(fp32Tolerance);
      // The routing capture: each MoE layer's top-k distinct experts of the last position.
      const language = model.checkpoint.modelConfig.language;
      const topK = language.numExpertsPerTok;
      const experts = result.experts as Int32Array;
      expect(experts.length).toBe((language.numHiddenLayers - language.firstKDenseReplace) * topK);
      for (let layer = 0; layer < experts.length / topK; layer++) {
        const chosen = [...experts.subarray(layer * topK, (layer + 1) * topK)];
        expect(new Set(chosen).size).toBe(topK);
        expect(chosen.every((e) => e >= 0 && e < language.nRoutedExperts)).toBe(true);
      }
    }),
  );
});
