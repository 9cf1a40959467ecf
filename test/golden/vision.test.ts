/**
 * The vision path against the official reference: SigLIP's output and the projector's output for the
 * first tile, and the prompt embeddings with every image's features placed (global view rows with
 * `image_newline`, `view_seperator`, local tile rows), for every golden case that has images.
 */
import { describe, expect, it } from 'vitest';
import { caseNames, fp32Tolerance, goldenCase, modelVariants, relativeError } from '../support/golden.js';
import { useGoldenModels, withCapturedPrefill } from '../support/golden-models.js';

const imageCases = caseNames.filter((name) => goldenCase('tiny', name).images.length > 0);

const models = useGoldenModels(4096);

describe.each(modelVariants)('%s model', (variant) => {
  it('has golden cases with images to check', () => {
    expect(imageCases.length).toBeGreaterThan(0);
    for (const name of imageCases) expect(goldenCase(variant, name).vision0_shape).toBeDefined();
  });

  it.each(imageCases)('%s: SigLIP output, projector output and image placement', (name) =>
    withCapturedPrefill(models, variant, name, ({ result, golden, model, reference }) => {
      expect(relativeError(result.vision0 as Float32Array, reference('vision0'))).toBeLessThan(fp32Tolerance);
      expect(relativeError(result.projector0 as Float32Array, reference('projector0'))).toBeLessThan(
        fp32Tolerance,
      );
      // The image rows alone, so a misplaced feature cannot hide among the text embeddings.
      const hidden = model.info().hiddenSize;
      const embeds = result.embeds as Float32Array;
      const expected = reference('embeds');
      const rows = (source: Float32Array) => {
        const out = new Float32Array(golden.image_token_positions.length * hidden);
        golden.image_token_positions.forEach((position, i) => {
          out.set(source.subarray(position * hidden, (position + 1) * hidden), i * hidden);
        });
        return out;
      };
      expect(relativeError(rows(embeds), rows(expected))).toBeLessThan(fp32Tolerance);
    }),
  );
});
