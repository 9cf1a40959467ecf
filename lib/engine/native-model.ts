/**
 * The low-level engine API: a loaded model, sequences in its paged KV cache, prefill of a prompt
 * (token ids, uint8 tiles and the image layout) and batched one-token decode steps, each returning
 * logits. Every call runs on a worker thread; tests, scoring and the generation loop build on it.
 */
import { type CheckpointTable, openCheckpoint } from '../checkpoint/index.js';
import { fromNativeError, InvalidArgumentError } from '../errors.js';
import { nativeAddon } from '../native.js';

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
}

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
  /** The CPU kernel set in use: AVX2+FMA, or the portable one (no AVX2, or VL2_CPU_KERNELS=portable). */
  cpuKernels: 'avx2' | 'portable';
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
  decodeGreedy(requests: { sequence: number; token: number }[]): Promise<Int32Array>;
  close(): void;
  measureGpuUpload(): Promise<{ bytes: number; seconds: number }>;
}

export interface EngineOptions {
  /** The backend: 'cpu' (default) or 'cuda'. */
  device?: 'cpu' | 'cuda';
  /** Which GPU, for device 'cuda' (default 0). */
  cudaDevice?: number;
  /** Worker threads for the CPU backend; default: all cores. */
  threads?: number;
  /** KV cache capacity in tokens (rounded up to 64-token blocks); default 8192. */
  cacheTokens?: number;
  /**
   * CUDA only: size the KV cache as this fraction (0 < f < 1) of the GPU memory still free after
   * the weights and an activation reserve, instead of cacheTokens.
   */
  cacheMemoryFraction?: number;
}

function validateOptions(options: EngineOptions): void {
  const { threads, cacheTokens, device, cudaDevice, cacheMemoryFraction } = options;
  if (device !== undefined && device !== 'cpu' && device !== 'cuda') {
    throw new InvalidArgumentError(`device must be 'cpu' or 'cuda', got ${String(device)}`);
  }
  if (cudaDevice !== undefined && (!Number.isInteger(cudaDevice) || cudaDevice < 0)) {
    throw new InvalidArgumentError(`cudaDevice must be a non-negative integer, got ${cudaDevice}`);
  }
  if (
    cacheMemoryFraction !== undefined &&
    (typeof cacheMemoryFraction !== 'number' || !(cacheMemoryFraction > 0 && cacheMemoryFraction < 1))
  ) {
    throw new InvalidArgumentError(
      `cacheMemoryFraction must be a number in (0, 1), got ${cacheMemoryFraction}`,
    );
  }
  if (cacheMemoryFraction !== undefined && device !== 'cuda') {
    throw new InvalidArgumentError("cacheMemoryFraction applies to device 'cuda' only");
  }
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0 || threads > 1024)) {
    throw new InvalidArgumentError(`threads must be an integer from 0 (all cores) to 1024, got ${threads}`);
  }
  if (cacheTokens !== undefined && (!Number.isInteger(cacheTokens) || cacheTokens < 1)) {
    throw new InvalidArgumentError(`cacheTokens must be a positive integer, got ${cacheTokens}`);
  }
}

/** A loaded model at the engine level. */
export class EngineModel {
  private constructor(
    private readonly handle: NativeModelHandle,
    /** The validated checkpoint this model was loaded from. */
    readonly checkpoint: CheckpointTable,
  ) {}

  /** Validates the checkpoint directory, then maps and loads it off the JS thread. */
  static async load(dir: string, options: EngineOptions = {}): Promise<EngineModel> {
    validateOptions(options);
    const checkpoint = await openCheckpoint(dir);
    try {
      const handle = await nativeAddon().loadModel(checkpoint, options);
      return new EngineModel(handle, checkpoint);
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  /** @internal The native handle, for the generation scheduler. */
  get nativeHandle(): NativeModelHandle {
    return this.handle;
  }

  info(): EngineInfo {
    return this.call(() => this.handle.info());
  }

  /** A new, empty sequence in the KV cache. */
  createSequence(): number {
    return this.call(() => this.handle.createSequence());
  }

  /** Frees a sequence's cache blocks; unknown ids are ignored. */
  freeSequence(sequence: number): void {
    this.call(() => this.handle.freeSequence(sequence));
  }

  /** Runs a prompt into an empty sequence; resolves with the last position's logits. */
  async prefill(
    sequence: number,
    prompt: EnginePrompt,
    options: { capture?: boolean } = {},
  ): Promise<PrefillResult> {
    try {
      return await this.handle.prefill(sequence, prompt, options);
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  /** Appends one token to each sequence in one batched step; resolves with [requests, vocab] logits. */
  async decode(requests: { sequence: number; token: number }[]): Promise<Float32Array> {
    try {
      return await this.handle.decode(requests);
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  /** One decode step whose next tokens the backend picks greedily where the logits are (only ids come back). */
  async decodeGreedy(requests: { sequence: number; token: number }[]): Promise<Int32Array> {
    try {
      return await this.handle.decodeGreedy(requests);
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  close(): void {
    this.handle.close();
  }

  /** Copies every weight to GPU memory in large pinned chunks and frees it again: the upload's cost. */
  async measureGpuUpload(): Promise<{ bytes: number; seconds: number }> {
    try {
      return await this.handle.measureGpuUpload();
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  private call<T>(body: () => T): T {
    try {
      return body();
    } catch (error) {
      throw fromNativeError(error);
    }
  }
}
