/**
 * The low-level engine API: a loaded model, sequences in its paged KV cache, prefill of a prompt
 * (token ids, uint8 tiles and the image layout) and batched one-token decode steps, each returning
 * logits. Every call runs on a worker thread; tests, scoring and the generation loop build on it.
 */
import { type CheckpointTable, openCheckpoint } from '../checkpoint/index.js';
import { fromNativeError, InvalidArgumentError } from '../errors.js';
import { nativeAddon } from './addon.js';
import type {
  EngineInfo,
  EngineOptions,
  EnginePrompt,
  NativeModelHandle,
  PrefillResult,
} from './native-types.js';

/** A native call with its failure turned into our typed error. */
async function native<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw fromNativeError(error);
  }
}

function validateOptions(options: EngineOptions): void {
  const { threads, cacheTokens, device, cudaDevice, cacheMemoryFraction, cpuPrecision } = options;
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
  if (cpuPrecision !== undefined && cpuPrecision !== 'fp32' && cpuPrecision !== 'bf16') {
    throw new InvalidArgumentError(`cpuPrecision must be 'fp32' or 'bf16', got ${String(cpuPrecision)}`);
  }
  if (cpuPrecision !== undefined && device === 'cuda') {
    throw new InvalidArgumentError("cpuPrecision applies to device 'cpu' only");
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
    return native(() => this.handle.prefill(sequence, prompt, options));
  }

  /** Appends one token to each sequence in one batched step; resolves with [requests, vocab] logits. */
  async decode(requests: { sequence: number; token: number }[]): Promise<Float32Array> {
    return native(() => this.handle.decode(requests));
  }

  /**
   * The same step, with the routed experts of each request's token: [MoE layers, requests, topK],
   * ascending per token, and the router scores they were ranked by: [MoE layers, requests, routed
   * experts] (to tell bf16 error from a token sent to other experts, in checks). `routeAs` (the
   * CPU backend only, the shape of `experts`): each token goes to those experts instead, weighted by
   * its own scores, so the reference can follow another backend's routing; `experts` still reports
   * the router's own choice.
   */
  async decodeWithRouting(
    requests: { sequence: number; token: number }[],
    options: { routeAs?: Int32Array } = {},
  ): Promise<{ logits: Float32Array; experts: Int32Array; routerScores: Float32Array }> {
    return native(() => this.handle.decode(requests, { capture: true, ...options }));
  }

  /** One decode step whose next tokens the backend picks greedily where the logits are (only ids come back). */
  async decodeGreedy(requests: { sequence: number; token: number }[]): Promise<Int32Array> {
    return native(() => this.handle.decodeGreedy(requests));
  }

  close(): void {
    this.handle.close();
  }

  /** Copies every weight to GPU memory in large pinned chunks and frees it again: the upload's cost. */
  async measureGpuUpload(): Promise<{ bytes: number; seconds: number }> {
    return native(() => nativeAddon().measureGpuUpload(this.handle));
  }

  private call<T>(body: () => T): T {
    try {
      return body();
    } catch (error) {
      throw fromNativeError(error);
    }
  }
}
