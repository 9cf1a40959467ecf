/**
 * config.json of a DeepSeek-VL2 checkpoint, parsed into a typed structure. Values absent from the file
 * take the defaults of SPEC.md; values this engine does not implement are refused by name.
 */
import { CheckpointError, UnsupportedError } from '../errors.js';

export type ScoringFunc = 'softmax' | 'sigmoid';
export type TopkMethod = 'greedy' | 'group_limited_greedy' | 'noaux_tc';

/** The language model's structure (language_config). */
export interface LanguageConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  moeIntermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  firstKDenseReplace: number;
  nRoutedExperts: number;
  nSharedExperts: number;
  numExpertsPerTok: number;
  nGroup: number;
  topkGroup: number;
  normTopkProb: boolean;
  routedScalingFactor: number;
  scoringFunc: ScoringFunc;
  topkMethod: TopkMethod;
  rmsNormEps: number;
  ropeTheta: number;
  maxPositionEmbeddings: number;
  bosTokenId: number;
  eosTokenId: number;
  useMla: boolean;
  /** null: queries come from a direct q_proj. */
  qLoraRank: number | null;
  kvLoraRank: number;
  qkNopeHeadDim: number;
  qkRopeHeadDim: number;
  vHeadDim: number;
}

export interface VisionConfig {
  imageSize: number;
  patchSize: number;
  width: number;
  layers: number;
  heads: number;
  mlpRatio: number;
}

export interface ProjectorConfig {
  projectorType: 'downsample_mlp_gelu';
  inputDim: number;
  nEmbed: number;
  downsampleRatio: number;
}

/** A whole checkpoint's configuration. */
export interface ModelConfig {
  language: LanguageConfig;
  vision: VisionConfig;
  projector: ProjectorConfig;
  /** [width, height] pairs in pixels the tiler may choose. */
  candidateResolutions: [number, number][];
  /** The raw objects, passed to the native engine as they are. */
  raw: RawModelConfig;
}

export interface RawModelConfig {
  language_config: Record<string, unknown>;
  vision_config: Record<string, unknown>;
  projector_config: Record<string, unknown>;
  candidate_resolutions: [number, number][];
}

type Json = Record<string, unknown>;

function read<T>(object: Json, key: string, where: string, check: (v: unknown) => v is T, fallback?: T): T {
  const value = object[key];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new CheckpointError(`config.json: ${where}.${key} is missing`);
  }
  if (!check(value))
    throw new CheckpointError(`config.json: ${where}.${key} has an invalid value ${JSON.stringify(value)}`);
  return value;
}

/**
 * The native engine reads every count as a 32-bit int (native/core/model_config.h); a larger value
 * would wrap there (a fuzzed config.json with max_position_embeddings 1e15 did), so it is refused here.
 */
const maxCount = 2 ** 31 - 1;
const isCount = (v: unknown): v is number =>
  Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= maxCount;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isString = (v: unknown): v is string => typeof v === 'string';

function oneOf<T extends string>(value: string, allowed: readonly T[], key: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UnsupportedError(
      `config.json: unsupported ${key} '${value}' (supported: ${allowed.join(', ')})`,
    );
  }
  return value as T;
}

function parseLanguage(c: Json): LanguageConfig {
  const w = 'language_config';
  const useMla = read(c, 'use_mla', w, isBool, true);
  const ropeScaling = c.rope_scaling;
  if (ropeScaling !== undefined && ropeScaling !== null) {
    throw new UnsupportedError(
      'config.json: rope_scaling is not supported (no published DeepSeek-VL2 variant uses it)',
    );
  }
  const act = read(c, 'hidden_act', w, isString, 'silu');
  if (act !== 'silu') throw new UnsupportedError(`config.json: unsupported hidden_act '${act}' (silu)`);
  const qLora = c.q_lora_rank;
  return {
    vocabSize: read(c, 'vocab_size', w, isCount),
    hiddenSize: read(c, 'hidden_size', w, isCount),
    intermediateSize: read(c, 'intermediate_size', w, isCount),
    moeIntermediateSize: read(c, 'moe_intermediate_size', w, isCount),
    numHiddenLayers: read(c, 'num_hidden_layers', w, isCount),
    numAttentionHeads: read(c, 'num_attention_heads', w, isCount),
    firstKDenseReplace: read(c, 'first_k_dense_replace', w, isCount, 0),
    nRoutedExperts: read(c, 'n_routed_experts', w, isCount, 0),
    nSharedExperts: read(c, 'n_shared_experts', w, isCount, 0),
    numExpertsPerTok: read(c, 'num_experts_per_tok', w, isCount, 0),
    nGroup: read(c, 'n_group', w, isCount, 1),
    topkGroup: read(c, 'topk_group', w, isCount, 1),
    normTopkProb: read(c, 'norm_topk_prob', w, isBool, false),
    routedScalingFactor: read(c, 'routed_scaling_factor', w, isNumber, 1.0),
    scoringFunc: oneOf(
      read(c, 'scoring_func', w, isString, 'softmax'),
      ['softmax', 'sigmoid'] as const,
      'scoring_func',
    ),
    topkMethod: oneOf(
      read(c, 'topk_method', w, isString, 'greedy'),
      ['greedy', 'group_limited_greedy', 'noaux_tc'] as const,
      'topk_method',
    ),
    rmsNormEps: read(c, 'rms_norm_eps', w, isNumber, 1e-6),
    ropeTheta: read(c, 'rope_theta', w, isNumber, 10000),
    maxPositionEmbeddings: read(c, 'max_position_embeddings', w, isCount, 4096),
    bosTokenId: read(c, 'bos_token_id', w, isCount, 0),
    eosTokenId: read(c, 'eos_token_id', w, isCount, 1),
    useMla,
    qLoraRank: qLora === null || qLora === undefined ? null : read(c, 'q_lora_rank', w, isCount),
    kvLoraRank: useMla ? read(c, 'kv_lora_rank', w, isCount) : 0,
    qkNopeHeadDim: useMla ? read(c, 'qk_nope_head_dim', w, isCount) : 0,
    qkRopeHeadDim: useMla ? read(c, 'qk_rope_head_dim', w, isCount) : 0,
    vHeadDim: useMla ? read(c, 'v_head_dim', w, isCount) : 0,
  };
}

/** Parses a config.json object; throws CheckpointError or UnsupportedError naming the key. */
export function parseModelConfig(json: unknown): ModelConfig {
  if (typeof json !== 'object' || json === null)
    throw new CheckpointError('config.json is not a JSON object');
  const root = json as Json;
  const modelType = root.model_type;
  if (modelType !== 'deepseek_vl_v2') {
    throw new UnsupportedError(`config.json: model_type '${String(modelType)}' is not deepseek_vl_v2`);
  }
  const section = (key: string): Json => {
    const value = root[key];
    if (typeof value !== 'object' || value === null)
      throw new CheckpointError(`config.json: ${key} is missing`);
    return value as Json;
  };
  const languageJson = section('language_config');
  const visionJson = section('vision_config');
  const projectorJson = section('projector_config');
  const resolutions = root.candidate_resolutions;
  if (
    !Array.isArray(resolutions) ||
    resolutions.length === 0 ||
    !resolutions.every((r) => Array.isArray(r) && r.length === 2 && r.every((v) => isCount(v) && v > 0))
  ) {
    throw new CheckpointError('config.json: candidate_resolutions must be a list of [width, height] pairs');
  }
  const projectorType = read(projectorJson, 'projector_type', 'projector_config', isString);
  const language = parseLanguage(languageJson);
  const config: ModelConfig = {
    language,
    vision: {
      imageSize: read(visionJson, 'image_size', 'vision_config', isCount, 384),
      patchSize: read(visionJson, 'patch_size', 'vision_config', isCount, 14),
      width: read(visionJson, 'width', 'vision_config', isCount),
      layers: read(visionJson, 'layers', 'vision_config', isCount),
      heads: read(visionJson, 'heads', 'vision_config', isCount),
      mlpRatio: read(visionJson, 'mlp_ratio', 'vision_config', isNumber),
    },
    projector: {
      projectorType: oneOf(projectorType, ['downsample_mlp_gelu'] as const, 'projector_type'),
      inputDim: read(projectorJson, 'input_dim', 'projector_config', isCount),
      nEmbed: read(projectorJson, 'n_embed', 'projector_config', isCount),
      downsampleRatio: read(projectorJson, 'downsample_ratio', 'projector_config', isCount, 2),
    },
    candidateResolutions: resolutions as [number, number][],
    raw: {
      language_config: languageJson,
      vision_config: visionJson,
      projector_config: projectorJson,
      candidate_resolutions: resolutions as [number, number][],
    },
  };
  if (config.vision.imageSize !== 384 || config.vision.patchSize !== 14) {
    throw new UnsupportedError('config.json: the vision tower must take 384-pixel tiles of 14-pixel patches');
  }
  if (config.projector.nEmbed !== language.hiddenSize) {
    throw new CheckpointError('config.json: projector_config.n_embed must equal language_config.hidden_size');
  }
  refuseUnsupportedStructure(root, languageJson, visionJson, projectorJson);
  checkConsistency(config);
  return config;
}

/**
 * Keys whose other values would change which tensors exist or how they combine, beyond what this
 * engine implements: each refused by name with the value it found.
 */
function refuseUnsupportedStructure(root: Json, language: Json, vision: Json, projector: Json): void {
  const required: [Json, string, string, unknown][] = [
    [root, '', 'tile_tag', '2D'],
    [root, '', 'global_view_pos', 'head'],
    [language, 'language_config.', 'moe_layer_freq', 1],
    [language, 'language_config.', 'attention_bias', false],
    [language, 'language_config.', 'tie_word_embeddings', false],
    [vision, 'vision_config.', 'class_token', false],
    [projector, 'projector_config.', 'depth', 2],
    [projector, 'projector_config.', 'downsample_ratio', 2],
    [projector, 'projector_config.', 'token_pooling', false],
  ];
  for (const [object, where, key, supported] of required) {
    const value = object[key];
    if (value !== undefined && value !== null && value !== supported) {
      throw new UnsupportedError(
        `config.json: unsupported ${where}${key} ${JSON.stringify(value)} (supported: ${JSON.stringify(supported)})`,
      );
    }
  }
  const kvHeads = language.num_key_value_heads;
  if (kvHeads !== undefined && kvHeads !== null && kvHeads !== language.num_attention_heads) {
    throw new UnsupportedError(
      `config.json: unsupported language_config.num_key_value_heads ${JSON.stringify(kvHeads)} ` +
        `(grouped-query attention; supported: num_attention_heads, ${JSON.stringify(language.num_attention_heads)})`,
    );
  }
}

/** Values that cannot describe a working model, whatever the engine. */
function checkConsistency(config: ModelConfig): void {
  const l = config.language;
  const v = config.vision;
  const fail = (why: string) => {
    throw new CheckpointError(`config.json: ${why}`);
  };
  if (l.numAttentionHeads === 0 || l.hiddenSize === 0 || l.numHiddenLayers === 0 || l.vocabSize === 0) {
    fail('language_config needs positive hidden_size, num_hidden_layers, num_attention_heads and vocab_size');
  }
  if (!l.useMla && l.hiddenSize % l.numAttentionHeads !== 0) {
    fail(
      `language_config.hidden_size ${l.hiddenSize} is not a multiple of num_attention_heads ${l.numAttentionHeads}`,
    );
  }
  if (v.heads === 0 || v.width % v.heads !== 0) {
    fail(`vision_config.width ${v.width} is not a multiple of heads ${v.heads}`);
  }
  if (l.nRoutedExperts > 0 && l.firstKDenseReplace < l.numHiddenLayers) {
    if (l.numExpertsPerTok < 1 || l.numExpertsPerTok > l.nRoutedExperts) {
      fail(
        `language_config.num_experts_per_tok ${l.numExpertsPerTok} must be 1..n_routed_experts (${l.nRoutedExperts})`,
      );
    }
    if (l.nGroup < 1 || l.nRoutedExperts % l.nGroup !== 0) {
      fail(`language_config.n_group ${l.nGroup} must divide n_routed_experts ${l.nRoutedExperts}`);
    }
    if (l.topkGroup < 1 || l.topkGroup > l.nGroup) {
      fail(`language_config.topk_group ${l.topkGroup} must be 1..n_group (${l.nGroup})`);
    }
  }
  if (l.bosTokenId >= l.vocabSize || l.eosTokenId >= l.vocabSize) {
    fail(`language_config.bos_token_id / eos_token_id must be below vocab_size ${l.vocabSize}`);
  }
}
