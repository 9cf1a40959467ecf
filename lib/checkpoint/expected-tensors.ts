/**
 * Every tensor a DeepSeek-VL2 checkpoint must hold, with its shape, derived from the config alone
 * (SPEC.md section 2). Used to validate checkpoints and to write synthetic ones.
 */
import type { ModelConfig } from './config.js';

export interface ExpectedTensor {
  name: string;
  shape: number[];
}

/** Names the model never reads; present in real checkpoints and skipped without a warning. */
export const unusedTensorPrefixes = ['vision.attn_pool.'];

/** SigLIP's MLP width: width x mlp_ratio, truncated as timm does (1152 x 3.7362 -> 4304). */
export function visionMlpWidth(config: ModelConfig): number {
  return Math.floor(config.vision.width * config.vision.mlpRatio);
}

export function expectedTensors(config: ModelConfig): ExpectedTensor[] {
  const out: ExpectedTensor[] = [];
  const add = (name: string, shape: number[]) => out.push({ name, shape });
  const linear = (prefix: string, outDim: number, inDim: number, bias = false) => {
    add(`${prefix}.weight`, [outDim, inDim]);
    if (bias) add(`${prefix}.bias`, [outDim]);
  };

  const { vision: v, language: l } = config;
  const width = v.width;
  const grid = Math.floor(v.imageSize / v.patchSize);
  add('vision.patch_embed.proj.weight', [width, 3, v.patchSize, v.patchSize]);
  add('vision.patch_embed.proj.bias', [width]);
  add('vision.pos_embed', [1, grid * grid, width]);
  for (let i = 0; i < v.layers; i++) {
    const p = `vision.blocks.${i}`;
    for (const norm of ['norm1', 'norm2']) {
      add(`${p}.${norm}.weight`, [width]);
      add(`${p}.${norm}.bias`, [width]);
    }
    linear(`${p}.attn.qkv`, 3 * width, width, true);
    linear(`${p}.attn.proj`, width, width, true);
    linear(`${p}.mlp.fc1`, visionMlpWidth(config), width, true);
    linear(`${p}.mlp.fc2`, width, visionMlpWidth(config), true);
  }
  add('vision.norm.weight', [width]);
  add('vision.norm.bias', [width]);

  const hidden = l.hiddenSize;
  const ratio = config.projector.downsampleRatio;
  linear('projector.layers.0', config.projector.nEmbed, width * ratio * ratio, true);
  linear('projector.layers.2', config.projector.nEmbed, config.projector.nEmbed, true);
  add('image_newline', [hidden]);
  add('view_seperator', [hidden]);

  add('language.model.embed_tokens.weight', [l.vocabSize, hidden]);
  const heads = l.numAttentionHeads;
  for (let i = 0; i < l.numHiddenLayers; i++) {
    const p = `language.model.layers.${i}`;
    add(`${p}.input_layernorm.weight`, [hidden]);
    add(`${p}.post_attention_layernorm.weight`, [hidden]);
    const a = `${p}.self_attn`;
    if (!l.useMla) {
      for (const proj of ['q_proj', 'k_proj', 'v_proj']) linear(`${a}.${proj}`, hidden, hidden);
      linear(`${a}.o_proj`, hidden, hidden);
    } else {
      const qk = l.qkNopeHeadDim + l.qkRopeHeadDim;
      if (l.qLoraRank) {
        linear(`${a}.q_a_proj`, l.qLoraRank, hidden);
        add(`${a}.q_a_layernorm.weight`, [l.qLoraRank]);
        linear(`${a}.q_b_proj`, heads * qk, l.qLoraRank);
      } else {
        linear(`${a}.q_proj`, heads * qk, hidden);
      }
      linear(`${a}.kv_a_proj_with_mqa`, l.kvLoraRank + l.qkRopeHeadDim, hidden);
      add(`${a}.kv_a_layernorm.weight`, [l.kvLoraRank]);
      linear(`${a}.kv_b_proj`, heads * (l.qkNopeHeadDim + l.vHeadDim), l.kvLoraRank);
      linear(`${a}.o_proj`, hidden, heads * l.vHeadDim);
    }
    const m = `${p}.mlp`;
    const mlp = (prefix: string, intermediate: number) => {
      linear(`${prefix}.gate_proj`, intermediate, hidden);
      linear(`${prefix}.up_proj`, intermediate, hidden);
      linear(`${prefix}.down_proj`, hidden, intermediate);
    };
    if (i < l.firstKDenseReplace || l.nRoutedExperts === 0) {
      mlp(m, l.intermediateSize);
    } else {
      linear(`${m}.gate`, l.nRoutedExperts, hidden);
      if (l.topkMethod === 'noaux_tc') add(`${m}.gate.e_score_correction_bias`, [l.nRoutedExperts]);
      for (let e = 0; e < l.nRoutedExperts; e++) mlp(`${m}.experts.${e}`, l.moeIntermediateSize);
      if (l.nSharedExperts > 0) mlp(`${m}.shared_experts`, l.moeIntermediateSize * l.nSharedExperts);
    }
  }
  add('language.model.norm.weight', [hidden]);
  linear('language.lm_head', l.vocabSize, hidden);
  return out;
}
