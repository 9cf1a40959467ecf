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
  return [...eachExpectedTensor(config)];
}

/**
 * The same tensors one at a time, so a validator stops at the first missing one: a config.json that
 * claims 2^31 layers or experts would otherwise build a list that exhausts the JS heap before any
 * check runs (found by test/fuzz/checkpoint-files: the process died with a heap OOM).
 */
export function* eachExpectedTensor(config: ModelConfig): Generator<ExpectedTensor> {
  const add = (name: string, shape: number[]): ExpectedTensor => ({ name, shape });
  function* linear(prefix: string, outDim: number, inDim: number, bias = false): Generator<ExpectedTensor> {
    yield add(`${prefix}.weight`, [outDim, inDim]);
    if (bias) yield add(`${prefix}.bias`, [outDim]);
  }

  const { vision: v, language: l } = config;
  const width = v.width;
  const grid = Math.floor(v.imageSize / v.patchSize);
  yield add('vision.patch_embed.proj.weight', [width, 3, v.patchSize, v.patchSize]);
  yield add('vision.patch_embed.proj.bias', [width]);
  yield add('vision.pos_embed', [1, grid * grid, width]);
  for (let i = 0; i < v.layers; i++) {
    const p = `vision.blocks.${i}`;
    for (const norm of ['norm1', 'norm2']) {
      yield add(`${p}.${norm}.weight`, [width]);
      yield add(`${p}.${norm}.bias`, [width]);
    }
    yield* linear(`${p}.attn.qkv`, 3 * width, width, true);
    yield* linear(`${p}.attn.proj`, width, width, true);
    yield* linear(`${p}.mlp.fc1`, visionMlpWidth(config), width, true);
    yield* linear(`${p}.mlp.fc2`, width, visionMlpWidth(config), true);
  }
  yield add('vision.norm.weight', [width]);
  yield add('vision.norm.bias', [width]);

  const hidden = l.hiddenSize;
  const ratio = config.projector.downsampleRatio;
  yield* linear('projector.layers.0', config.projector.nEmbed, width * ratio * ratio, true);
  yield* linear('projector.layers.2', config.projector.nEmbed, config.projector.nEmbed, true);
  yield add('image_newline', [hidden]);
  yield add('view_seperator', [hidden]);

  yield add('language.model.embed_tokens.weight', [l.vocabSize, hidden]);
  const heads = l.numAttentionHeads;
  function* mlp(prefix: string, intermediate: number): Generator<ExpectedTensor> {
    yield* linear(`${prefix}.gate_proj`, intermediate, hidden);
    yield* linear(`${prefix}.up_proj`, intermediate, hidden);
    yield* linear(`${prefix}.down_proj`, hidden, intermediate);
  }
  for (let i = 0; i < l.numHiddenLayers; i++) {
    const p = `language.model.layers.${i}`;
    yield add(`${p}.input_layernorm.weight`, [hidden]);
    yield add(`${p}.post_attention_layernorm.weight`, [hidden]);
    const a = `${p}.self_attn`;
    if (!l.useMla) {
      for (const proj of ['q_proj', 'k_proj', 'v_proj']) yield* linear(`${a}.${proj}`, hidden, hidden);
      yield* linear(`${a}.o_proj`, hidden, hidden);
    } else {
      const qk = l.qkNopeHeadDim + l.qkRopeHeadDim;
      if (l.qLoraRank) {
        yield* linear(`${a}.q_a_proj`, l.qLoraRank, hidden);
        yield add(`${a}.q_a_layernorm.weight`, [l.qLoraRank]);
        yield* linear(`${a}.q_b_proj`, heads * qk, l.qLoraRank);
      } else {
        yield* linear(`${a}.q_proj`, heads * qk, hidden);
      }
      yield* linear(`${a}.kv_a_proj_with_mqa`, l.kvLoraRank + l.qkRopeHeadDim, hidden);
      yield add(`${a}.kv_a_layernorm.weight`, [l.kvLoraRank]);
      yield* linear(`${a}.kv_b_proj`, heads * (l.qkNopeHeadDim + l.vHeadDim), l.kvLoraRank);
      yield* linear(`${a}.o_proj`, hidden, heads * l.vHeadDim);
    }
    const m = `${p}.mlp`;
    if (i < l.firstKDenseReplace || l.nRoutedExperts === 0) {
      yield* mlp(m, l.intermediateSize);
    } else {
      yield* linear(`${m}.gate`, l.nRoutedExperts, hidden);
      if (l.topkMethod === 'noaux_tc') yield add(`${m}.gate.e_score_correction_bias`, [l.nRoutedExperts]);
      for (let e = 0; e < l.nRoutedExperts; e++) yield* mlp(`${m}.experts.${e}`, l.moeIntermediateSize);
      if (l.nSharedExperts > 0) yield* mlp(`${m}.shared_experts`, l.moeIntermediateSize * l.nSharedExperts);
    }
  }
  yield add('language.model.norm.weight', [hidden]);
  yield* linear('language.lm_head', l.vocabSize, hidden);
}
