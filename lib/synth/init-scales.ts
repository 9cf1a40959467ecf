/**
 * How large each synthetic weight is, so activations stay O(1) through every layer: projections
 * into a layer's residual branch have std 1/sqrt(fan_in); the projections that write back into the
 * residual stream (o_proj, down_proj, fc2, attn.proj) are further scaled by 1/sqrt(2 x layers), so
 * that the sum over all layers grows the stream by a bounded factor instead of sqrt(layers); norm
 * weights are exactly 1 and biases 0; embeddings have unit variance. Router gates keep 1/sqrt(H),
 * so routing logits are O(1) and tokens spread over many experts (every expert path is exercised);
 * the noaux_tc correction bias is small (0.01) beside the sigmoid scores it shifts. Measured at toy
 * width and full depth (30 layers): the stream's RMS goes 1.05 -> 1.2-1.3, and the layers move it by
 * about half its norm (test/checkpoint/synth.test.ts).
 */
export type InitRule = { kind: 'constant'; value: number } | { kind: 'random'; std: number };

const residualWriters = ['o_proj.weight', 'down_proj.weight', 'mlp.fc2.weight', 'attn.proj.weight'];

export function initRule(
  name: string,
  shape: number[],
  languageLayers: number,
  visionLayers: number,
): InitRule {
  if (
    /norm[12]?\.weight$|layernorm\.weight$|_norm\.weight$/.test(name) ||
    name === 'language.model.norm.weight'
  ) {
    return { kind: 'constant', value: 1 };
  }
  if (name.endsWith('.bias') && !name.endsWith('e_score_correction_bias'))
    return { kind: 'constant', value: 0 };
  if (name.endsWith('e_score_correction_bias')) return { kind: 'random', std: 0.01 };
  if (name === 'language.model.embed_tokens.weight') return { kind: 'random', std: 1 };
  if (name === 'vision.pos_embed') return { kind: 'random', std: 0.02 };
  if (name === 'image_newline' || name === 'view_seperator') return { kind: 'random', std: 1 };
  const fanIn = shape.slice(1).reduce((a, d) => a * d, 1);
  let std = 1 / Math.sqrt(fanIn);
  if (residualWriters.some((suffix) => name.endsWith(suffix))) {
    std /= Math.sqrt(2 * (name.startsWith('vision.') ? visionLayers : languageLayers));
  }
  return { kind: 'random', std };
}
