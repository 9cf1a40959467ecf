/**
 * The three golden checkpoints (published layout, small sizes) open as they are: every tensor the
 * config implies is present with its shape, attn_pool is dropped silently, the typed config carries
 * the file's values, and the table's offsets and lengths are consistent with the shard files.
 */
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectedTensors, openCheckpoint } from '../../lib/checkpoint/index.js';
import { goldenPath } from '../support/golden.js';

interface GoldenConfig {
  language_config: Record<string, unknown>;
  vision_config: Record<string, unknown>;
}

describe.each(['tiny', 'small', 'base'])('golden %s checkpoint', (variant) => {
  it('opens with every expected tensor, in the files the index names', async () => {
    const dir = goldenPath('models', variant);
    const table = await openCheckpoint(dir);
    const raw = JSON.parse(
      readFileSync(goldenPath('models', variant, 'config.json'), 'utf8'),
    ) as GoldenConfig;
    const language = raw.language_config;

    expect(table.unexpectedTensors).toEqual([]);
    expect(table.tensors.map((t) => [t.name, t.shape])).toEqual(
      expectedTensors(table.modelConfig).map((t) => [t.name, t.shape]),
    );
    expect(table.tensors.some((t) => t.name.startsWith('vision.attn_pool.'))).toBe(false);
    expect(table.config.language_config).toEqual(language);

    const c = table.modelConfig.language;
    expect(c.vocabSize).toBe(language.vocab_size);
    expect(c.hiddenSize).toBe(language.hidden_size);
    expect(c.numHiddenLayers).toBe(language.num_hidden_layers);
    expect(c.useMla).toBe(language.use_mla);
    expect(c.qLoraRank).toBe(language.q_lora_rank);
    expect(c.scoringFunc).toBe(language.scoring_func);
    expect(c.topkMethod).toBe(language.topk_method);
    expect(c.nGroup).toBe(language.n_group);
    expect(c.topkGroup).toBe(language.topk_group);
    expect(c.normTopkProb).toBe(language.norm_topk_prob);
    expect(c.routedScalingFactor).toBe(language.routed_scaling_factor);
    expect(table.modelConfig.vision.width).toBe(raw.vision_config.width);

    const index = JSON.parse(
      readFileSync(goldenPath('models', variant, 'model.safetensors.index.json'), 'utf8'),
    ) as { weight_map: Record<string, string> };
    const sizes = table.files.map((f) => statSync(f).size);
    for (const t of table.tensors) {
      expect(table.files[t.file]?.endsWith(`/${index.weight_map[t.name]}`), t.name).toBe(true);
      expect(t.dtype).toBe('BF16');
      expect(t.byteLength).toBe(t.shape.reduce((a, d) => a * d, 2));
      expect(t.offset + t.byteLength).toBeLessThanOrEqual(sizes[t.file] as number);
    }
    expect(table.weightBytes).toBe(table.tensors.reduce((sum, t) => sum + t.byteLength, 0));
  });
});
