/**
 * config.json of the three published variants (SPEC.md section 1), for synthetic checkpoints. The
 * structure is certain; the routing values are our best knowledge of the published files (SPEC.md).
 */
export const variantNames = ['tiny', 'small', 'base'] as const;
export type VariantName = (typeof variantNames)[number];

interface VariantShape {
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  intermediate: number;
  moeIntermediate: number;
  routedExperts: number;
  mla: null | { qLoraRank: number | null };
  routing: 'softmax' | 'noaux_tc';
}

const shapes: Record<VariantName, VariantShape> = {
  tiny: {
    vocabSize: 129280,
    hiddenSize: 1280,
    layers: 12,
    heads: 10,
    intermediate: 6848,
    moeIntermediate: 896,
    routedExperts: 64,
    mla: null,
    routing: 'softmax',
  },
  small: {
    vocabSize: 102400,
    hiddenSize: 2048,
    layers: 27,
    heads: 16,
    intermediate: 10944,
    moeIntermediate: 1408,
    routedExperts: 64,
    mla: { qLoraRank: null },
    routing: 'softmax',
  },
  base: {
    vocabSize: 129280,
    hiddenSize: 2560,
    layers: 30,
    heads: 32,
    intermediate: 12288,
    moeIntermediate: 1536,
    routedExperts: 72,
    mla: { qLoraRank: 1536 },
    routing: 'noaux_tc',
  },
};

/** Every (384m, 384n) with m, n >= 1 and m*n <= 9, in the published order. */
export function candidateResolutions(): [number, number][] {
  const out: [number, number][] = [];
  for (let m = 1; m <= 9; m++) for (let n = 1; m * n <= 9; n++) out.push([384 * m, 384 * n]);
  return out;
}

/**
 * A variant's structure at toy width (like the golden fixtures: hidden 64, SigLIP width 64 with 2
 * layers, 8 experts, a 1024-id vocabulary for the byte stand-in tokenizer): a model of a few MB that
 * runs every code path of the real one, for `vl2 demo`.
 */
function toyShape(s: VariantShape): VariantShape {
  return {
    ...s,
    vocabSize: 1024,
    hiddenSize: 64,
    layers: 3,
    heads: 4,
    intermediate: 160,
    moeIntermediate: 48,
    routedExperts: 8,
    mla: s.mla ? { qLoraRank: s.mla.qLoraRank ? 48 : null } : null,
  };
}

/** The config.json of a variant, optionally with fewer language layers (the first stays dense) or at toy width. */
export function variantConfig(variant: VariantName, layers?: number, toy = false): Record<string, unknown> {
  const s = toy ? toyShape(shapes[variant]) : shapes[variant];
  const routing =
    s.routing === 'softmax'
      ? {
          scoring_func: 'softmax',
          topk_method: 'greedy',
          n_group: 1,
          topk_group: 1,
          norm_topk_prob: false,
          routed_scaling_factor: 1.0,
        }
      : {
          scoring_func: 'sigmoid',
          topk_method: 'noaux_tc',
          n_group: 1,
          topk_group: 1,
          norm_topk_prob: true,
          routed_scaling_factor: 2.0,
        };
  const attention = s.mla
    ? {
        use_mla: true,
        q_lora_rank: s.mla.qLoraRank,
        kv_lora_rank: 512,
        qk_nope_head_dim: 128,
        qk_rope_head_dim: 64,
        v_head_dim: 128,
      }
    : {
        use_mla: false,
        q_lora_rank: null,
        kv_lora_rank: null,
        qk_nope_head_dim: 0,
        qk_rope_head_dim: 0,
        v_head_dim: 0,
      };
  return {
    architectures: ['DeepseekVLV2ForCausalLM'],
    model_type: 'deepseek_vl_v2',
    tile_tag: '2D',
    global_view_pos: 'head',
    candidate_resolutions: candidateResolutions(),
    vision_config: {
      model_name: 'siglip_so400m_patch14_384',
      image_size: 384,
      patch_size: 14,
      width: toy ? 64 : 1152,
      layers: toy ? 2 : 27,
      heads: toy ? 4 : 16,
      mlp_ratio: 3.7362,
      global_pool: 'map',
      ignore_head: true,
      class_token: false,
      num_classes: 0,
      use_checkpoint: false,
    },
    projector_config: {
      model_type: 'mlp_projector',
      projector_type: 'downsample_mlp_gelu',
      input_dim: toy ? 64 : 1152,
      n_embed: s.hiddenSize,
      depth: 2,
      mlp_ratio: 1,
      downsample_ratio: 2,
      token_pooling: false,
    },
    language_config: {
      model_type: 'deepseek_v2',
      vocab_size: s.vocabSize,
      hidden_size: s.hiddenSize,
      intermediate_size: s.intermediate,
      moe_intermediate_size: s.moeIntermediate,
      num_hidden_layers: layers ?? s.layers,
      num_attention_heads: s.heads,
      num_key_value_heads: s.heads,
      n_routed_experts: s.routedExperts,
      n_shared_experts: 2,
      num_experts_per_tok: 6,
      first_k_dense_replace: 1,
      moe_layer_freq: 1,
      max_position_embeddings: 4096,
      rms_norm_eps: 1e-6,
      rope_theta: 10000.0,
      rope_scaling: null,
      hidden_act: 'silu',
      tie_word_embeddings: false,
      bos_token_id: 0,
      eos_token_id: 1,
      attention_bias: false,
      torch_dtype: 'bfloat16',
      ...attention,
      ...routing,
    },
    torch_dtype: 'bfloat16',
  };
}

/** processor_config.json as the published checkpoints carry it. */
export function processorConfig(): Record<string, unknown> {
  return {
    processor_class: 'DeepseekVLV2Processor',
    candidate_resolutions: candidateResolutions(),
    patch_size: 14,
    downsample_ratio: 2,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
    normalize: true,
    image_token: '<image>',
    pad_token: '<｜▁pad▁｜>',
    add_special_token: false,
    sft_format: 'deepseek',
    mask_prompt: false,
    ignore_id: -100,
  };
}
