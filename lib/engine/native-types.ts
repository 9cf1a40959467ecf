/**
 * The shapes that cross the binding to the native model (native/napi/model_binding.cc) and its
 * scheduler (native/napi/generator_binding.cc): what a prompt gives it, what prefill returns, the
 * handle's methods and its load options; a generator's requests, events and counters. Kept apart
 * from the wrappers so that addon.ts can declare the addon without importing them.
 */
import type { ResolvedOptions } from '../options.js';

/** What a prompt gives the engine (the processor produces exactly this). */
export interface EnginePrompt {
  /** Token ids with `<image>` placeholders where image features go (BOS first). */
  inputIds: Int32Array | number[];
  /** All tiles of all images, [tiles][384][384][3] RGB uint8, each image's global view first. */
  tiles?: Uint8Array;
  /** Per image [tiles across, tiles down], flattened: [a0, d0, a1, d1, ...]. */
  imagesSpatialCrop?: Int32Array | number[];
  /** Positions of the image feature rows in inputIds, ascending. */
  imageTokenPositions?: Int32Array | number[];
}

export interface PrefillResult {
  /** Logits of the last prompt position, [vocab]. */
  logits: Float32Array;
  /** With { capture: true }: input embeddings after image placement, [seq, hidden]. */
  embeds?: Float32Array;
  /** With { capture: true } and images: SigLIP output of the first tile, [729, width]. */
  vision0?: Float32Array;
  /** With { capture: true } and images: projector output of the first tile, [196, hidden]. */
  projector0?: Float32Array;
  /** With { capture: true }: the last position's hidden state after the embeddings and each layer, the last row after the final norm, [layers + 1, hidden]. */
  hiddenLast?: Float32Array;
  /** With { capture: true }: the last position's routed experts per MoE layer, ascending, [moeLayers, topK]. */
  experts?: Int32Array;
  /**
   * With { capture: true }: the router scores top-k ranked at the last position, per MoE layer over
   * every routed expert (softmax or sigmoid of the gate's logits, plus the correction bias under
   * noaux_tc, before group masking), [moeLayers, routedExperts].
   */
  routerScores?: Float32Array;
}

/**
 * How the CPU backend multiplies by the bf16 weights. 'fp32': fp32 activations times the widened
 * weights, the exact reference (1e-4 from the official model). 'bf16': activations rounded to bf16
 * (nearest even) at each GEMM's input, fp32 sums, on AVX-512 BF16 (`vdpbf16ps`): about 2x the
 * multiply-adds of fp32 and the GPU path's rounding (the golden README's bf16 tolerances).
 */
export type CpuPrecision = 'fp32' | 'bf16';

/** CPU GEMM kernel sets: 'avx512-bf16' (precision 'bf16'), 'avx2' or 'portable' (precision 'fp32'). */
export type CpuKernels = 'avx512-bf16' | 'avx2' | 'portable';

export interface EngineInfo {
  backend: 'cpu' | 'cuda';
  /** 'cpu', or the GPU's name. */
  device: string;
  /** Device memory held for weights, the KV cache and activations (0 on the CPU, which maps the file). */
  weightBytes: number;
  cacheBytes: number;
  activationBytes: number;
  /** Memory the GPU still has free (0 on the CPU). */
  deviceFreeBytes: number;
  /**
   * The CPU GEMM kernels this model runs: AVX-512 BF16 (cpuPrecision 'bf16'), AVX2+FMA, or the
   * portable ones (no AVX2, or VL2_CPU_KERNELS=portable).
   */
  cpuKernels: CpuKernels;
  /** How the CPU backend's GEMMs compute (see {@link EngineOptions.cpuPrecision}); 'fp32' on CUDA. */
  cpuPrecision: CpuPrecision;
  cacheCapacityTokens: number;
  cacheFreeTokens: number;
  cacheBytesPerToken: number;
  mappedBytes: number;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  maxPositions: number;
  visionWidth: number;
  /** Prompt KV blocks (64 tokens) reused from the prefix cache since load. */
  prefixHitBlocks: number;
  /** Images whose vision features were reused since load. */
  visionCacheHits: number;
}

/** The native object (native/napi/model_binding.cc). */
export interface NativeModelHandle {
  info(): EngineInfo;
  createSequence(): number;
  freeSequence(sequence: number): void;
  prefill(sequence: number, prompt: EnginePrompt, options?: { capture?: boolean }): Promise<PrefillResult>;
  decode(requests: { sequence: number; token: number }[]): Promise<Float32Array>;
  decode(
    requests: { sequence: number; token: number }[],
    options: { capture: true; routeAs?: Int32Array },
  ): Promise<{ logits: Float32Array; experts: Int32Array; routerScores: Float32Array }>;
  decodeGreedy(requests: { sequence: number; token: number }[]): Promise<Int32Array>;
  close(): void;
}

export interface EngineOptions {
  /** The backend: 'cpu' (default) or 'cuda'. */
  device?: 'cpu' | 'cuda';
  /** Which GPU, for device 'cuda' (default 0). */
  cudaDevice?: number;
  /** Worker threads for the CPU backend; default: all cores. */
  threads?: number;
  /**
   * CPU only: 'bf16' (the default where the processor has AVX-512 BF16; refused where it has not)
   * or 'fp32' (the default elsewhere, and the exact reference).
   */
  cpuPrecision?: CpuPrecision;
  /** KV cache capacity in tokens (rounded up to 64-token blocks); default 8192. */
  cacheTokens?: number;
  /**
   * CUDA only: size the KV cache as this fraction (0 < f < 1) of the GPU memory still free after
   * the weights and an activation reserve, instead of cacheTokens.
   */
  cacheMemoryFraction?: number;
}

/** A request to the scheduler: a prompt as the processor made it, and when to stop. */
export interface GeneratorRequest extends EnginePrompt {
  /** Most tokens to generate (default 512). */
  maxTokens?: number;
  stopTokenIds?: number[];
  /**
   * Sampling as lib/options.ts resolves it; a field left out takes the native default (greedy:
   * temperature 0, topK 0, topP 1, minP 0, repetitionPenalty 1, unseeded).
   */
  sampling?: Partial<ResolvedOptions['sampling']>;
  /** A response format compiled by compileGrammar: only tokens that keep the text inside it. */
  grammar?: NativeGrammar;
}

/** A tokenizer's vocabulary as the bytes each token spells (native/grammar/token_vocabulary.h). */
export interface NativeVocabulary {
  size(): number;
}

/**
 * A grammar compiled against a vocabulary (native/grammar/grammar_states.h). Its states are the
 * test probe: where a text stands after tokens, whether the grammar may end there, and the tokens
 * it allows next (EOS and stop tokens not included: the scheduler adds them where it is complete).
 */
export interface NativeGrammar {
  initial(): number;
  /** The state after the token; 0 when the grammar refuses it. */
  afterToken(state: number, token: number): number;
  complete(state: number): boolean;
  /** Bitmask over the vocabulary: bit t of word t >> 5 is set when token t may come next. */
  allowed(state: number): Uint32Array;
  stateCount(): number;
}

/** One request's news from the scheduler: a token, its end, or both (batched per callback). */
export interface GeneratorEvent {
  requestId: number;
  token?: number;
  logprob?: number;
  finish?: 'stop' | 'length' | 'abort' | 'error';
  /** With finish 'error': the message and its VL2_* code. */
  error?: string;
  code?: string;
}

/** Counters of the native scheduler since load. */
export interface SchedulerStats {
  /** Forward steps run (each decodes every active request and computes prompt chunks). */
  steps: number;
  preemptions: number;
  /** Most requests decoding in one step. */
  maxBatch: number;
  /** Prompt pieces computed; above the number of prompts when long ones were chunked. */
  promptChunks: number;
}

/** The scheduler thread's JS handle (native/napi/generator_binding.cc). */
export interface NativeGenerator {
  /** Queues a request; its id comes back at once, its tokens through the events callback. */
  submit(request: GeneratorRequest): number;
  cancel(requestId: number): void;
  stats(): SchedulerStats;
  /** Stops the scheduler: what runs ends with 'abort' events. */
  close(): void;
}

/** The generator class the addon exports. */
export type NativeGeneratorClass = new (
  model: NativeModelHandle,
  onEvents: (events: GeneratorEvent[]) => void,
  /** stepTokens: most tokens one forward step computes (default 2048). */
  options: { stepTokens?: number },
) => NativeGenerator;
