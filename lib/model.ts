/**
 * The public model: load a checkpoint, then chat (streamed chunks) or generate (the whole answer).
 * Loading and every forward step run off the JS thread; tokens arrive in batches from the native
 * scheduler, which runs all open chats of a model together (continuous batching).
 */
import { backends } from './backends.js';
import type { BatchInput, BatchOptions, BatchResult } from './batch.js';
import { nativeAddon } from './engine/addon.js';
import { EngineModel } from './engine/native-model.js';
import type {
  CpuPrecision,
  EngineInfo,
  GeneratorEvent,
  NativeGenerator,
  SchedulerStats,
} from './engine/native-types.js';
import {
  AbortError,
  fromNativeError,
  InvalidArgumentError,
  UnsupportedError,
  type Vl2Error,
} from './errors.js';
import { type ChatRequest, GenerationSurface } from './generation-surface.js';
import { parseGrounding } from './grounding.js';
import { resolveModelDir } from './hub/resolve-model-id.js';
import type { HubOptions } from './hub/settings.js';
import { type RemoteFetchOptions, remoteFetchLimits } from './net/safe-fetch.js';
import type { GenerateOptions } from './options.js';
import { PreparedPrompt } from './prepared.js';
import { type ChatMessage, type ProcessOptions, Processor, type TextTokenizer } from './processor/index.js';
import type { ChatChunk, FinishReason, GenerateResult } from './results.js';
import { IncrementalDecoder } from './stream.js';
import { FormatCompiler } from './structured/format-compiler.js';

export type { SchedulerStats } from './engine/native-types.js';
export type { ChatHooks } from './generation-surface.js';
export type { GenerateOptions } from './options.js';
export type { ChatChunk, FinishReason, GenerateResult, Timings, Usage } from './results.js';

/** Where the model runs: 'auto' picks the best backend available here. */
export type Device = 'auto' | 'cpu' | 'cuda';

/** Options of {@link loadModel}. */
export interface LoadOptions {
  /** 'auto' (default) picks the best backend that runs the model here; see {@link Model.device}. */
  device?: Device;
  /**
   * Called with a stage and a fraction as loading progresses; while a hub model downloads, stage
   * 'download' with the bytes so far and in all.
   */
  onProgress?: (progress: LoadProgress) => void;
  /** Where and how a hub id (`org/name`) is fetched: revision, cache folder, token, endpoint, offline. */
  hub?: HubOptions;
  /** CPU worker threads (default: all cores). */
  threads?: number;
  /**
   * How the CPU backend computes: 'bf16' (default where the processor has AVX-512 BF16: activations
   * rounded to bf16 at each matrix multiply, about twice as fast for images and prompts) or 'fp32'
   * (default elsewhere; the exact reference). Ignored when the model runs on a GPU.
   */
  cpuPrecision?: CpuPrecision;
  /** KV cache capacity in tokens shared by all open chats (default: 16384 on the CPU; on a GPU, 90% of the memory left after the weights). */
  cacheTokens?: number;
  /** Which GPU when the model runs on CUDA (default 0). */
  cudaDevice?: number;
  /**
   * Most tokens one forward step computes (default 2048): a token for each answer being written,
   * then pieces of new prompts in arrival order with the rest, so long prompts are prefilled in
   * chunks between decode steps instead of stalling them.
   */
  stepTokens?: number;
  /** A tokenizer.json path or tokenizer to use instead of the model directory's. */
  tokenizer?: string | TextTokenizer;
  /**
   * Allow images from http(s) URLs (default false): true, or the fetch limits and address policy
   * (defaults: 20 MiB, 10 s, 5 redirects, public addresses only; see RemoteFetchOptions).
   */
  allowRemoteImages?: boolean | RemoteFetchOptions;
}

/** A step of {@link loadModel}; `downloadedBytes` and `totalBytes` come with stage 'download'. */
export interface LoadProgress {
  stage: 'download' | 'validate' | 'load' | 'ready';
  fraction: number;
  downloadedBytes?: number;
  totalBytes?: number;
}

/** A request's event queue: the native callback pushes, the async iterator pulls. */
class EventQueue {
  private events: GeneratorEvent[] = [];
  private waiter?: () => void;
  push(event: GeneratorEvent): void {
    this.events.push(event);
    this.waiter?.();
    this.waiter = undefined;
  }
  async next(): Promise<GeneratorEvent> {
    while (this.events.length === 0) await new Promise<void>((resolve) => (this.waiter = resolve));
    return this.events.shift() as GeneratorEvent;
  }
}

/**
 * What a loaded model offers, on one device ({@link Model}) or as replicas over several
 * (`ReplicatedModel`, which `loadModel` returns for `cudaDevices` or `cpuReplicas`).
 */
export interface LoadedModel {
  /** The processor that turns messages into prompts. */
  readonly processor: Processor;
  /** The backend that runs this model. */
  readonly device: 'cpu' | 'cuda';
  /** A conversation through the processor alone (images decoded and tiled), for chat or generate later. */
  prepare(messages: ChatMessage[]): Promise<PreparedPrompt>;
  chat(
    messages: ChatMessage[] | PreparedPrompt,
    options?: GenerateOptions,
  ): AsyncIterable<ChatChunk> & { result: Promise<GenerateResult> };
  generate(messages: ChatMessage[] | PreparedPrompt, options?: GenerateOptions): Promise<GenerateResult>;
  generateBatch(requests: BatchInput, options?: BatchOptions): AsyncGenerator<BatchResult>;
  close(): Promise<void>;
  info(): EngineInfo;
  stats(): SchedulerStats;
}

/** A loaded DeepSeek-VL2 model. */
export class Model extends GenerationSurface implements LoadedModel {
  private readonly queues = new Map<number, EventQueue>();
  private readonly generator: NativeGenerator;
  private readonly formats: FormatCompiler;
  private closed = false;

  private constructor(
    private readonly engine: EngineModel,
    /** The processor that turns messages into prompts. */
    readonly processor: Processor,
    /** The backend that runs this model. */
    readonly device: 'cpu' | 'cuda',
    private readonly processOptions: ProcessOptions,
    stepTokens: number | undefined,
  ) {
    super();
    this.formats = new FormatCompiler(processor.tokenizer, engine.checkpoint.modelConfig.language.vocabSize);
    this.generator = new (nativeAddon().NativeGenerator)(
      engine.nativeHandle,
      (events) => {
        for (const event of events) this.queues.get(event.requestId)?.push(event);
      },
      stepTokens === undefined ? {} : { stepTokens },
    );
  }

  /**
   * Loads a model directory (Hugging Face layout) off the JS thread. A source that is not a
   * directory but reads `org/name` is a hub model id: it is pulled into the Hugging Face cache
   * first (nothing is fetched when the cache has it; see {@link pullModel}).
   */
  static async load(source: string, options: LoadOptions = {}): Promise<Model> {
    const device = options.device ?? 'auto';
    if (!['auto', 'cpu', 'cuda'].includes(device)) {
      throw new InvalidArgumentError(`device must be 'auto', 'cpu' or 'cuda', got ${String(device)}`);
    }
    if (
      options.stepTokens !== undefined &&
      (!Number.isInteger(options.stepTokens) || options.stepTokens < 1)
    ) {
      throw new InvalidArgumentError(`stepTokens must be a positive integer, got ${options.stepTokens}`);
    }
    if (typeof options.allowRemoteImages === 'object') remoteFetchLimits(options.allowRemoteImages);
    const cuda = backends().find((b) => b.name === 'cuda');
    if (device === 'cuda' && !cuda?.available) {
      const reason = cuda && 'reason' in cuda ? cuda.reason : 'not reported';
      throw new UnsupportedError(`device 'cuda' is not available here: ${reason}`);
    }
    const chosen: 'cpu' | 'cuda' = device === 'cpu' ? 'cpu' : cuda?.available ? 'cuda' : 'cpu';
    const dir = await resolveModelDir(source, {
      ...options.hub,
      onProgress: ({ downloadedBytes, totalBytes }) =>
        options.onProgress?.({
          stage: 'download',
          fraction: totalBytes > 0 ? downloadedBytes / totalBytes : 1,
          downloadedBytes,
          totalBytes,
        }),
    });
    options.onProgress?.({ stage: 'validate', fraction: 0 });
    const processor = await Processor.fromModelDir(dir, options.tokenizer);
    options.onProgress?.({ stage: 'load', fraction: 0.1 });
    const engine = await EngineModel.load(dir, {
      device: chosen,
      cudaDevice: options.cudaDevice,
      threads: options.threads,
      ...(chosen === 'cpu' && options.cpuPrecision !== undefined
        ? { cpuPrecision: options.cpuPrecision }
        : {}),
      ...(chosen === 'cuda' && options.cacheTokens === undefined
        ? { cacheMemoryFraction: 0.9 }
        : { cacheTokens: options.cacheTokens ?? 16384 }),
    });
    options.onProgress?.({ stage: 'ready', fraction: 1 });
    return new Model(
      engine,
      processor,
      chosen,
      {
        allowRemote: Boolean(options.allowRemoteImages),
        ...(typeof options.allowRemoteImages === 'object' ? { remote: options.allowRemoteImages } : {}),
      },
      options.stepTokens,
    );
  }

  /**
   * The preprocessing alone (images decoded and tiled off the JS thread, template, ids): its result
   * goes to chat or generate in place of the messages. Throws as chat would for bad messages or images.
   */
  async prepare(messages: ChatMessage[]): Promise<PreparedPrompt> {
    if (this.closed) throw new AbortError('the model is closed');
    return new PreparedPrompt(await this.processor.process(messages, { ...this.processOptions }));
  }

  /** Ends open streams with an AbortError and frees the model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.generator.close(); // aborts what runs; the abort events arrive through the queues
    this.engine.close();
  }

  /** What was loaded where: backend, device, KV cache capacity (tokens), memory held. */
  info(): EngineInfo {
    return this.engine.info();
  }

  /** Scheduler counters: forward steps, largest decode batch, prompt chunks, preemptions. */
  stats(): SchedulerStats {
    return this.generator.stats();
  }

  protected async *stream(
    { messages, resolved: options, hooks }: ChatRequest,
    resolveResult: (r: GenerateResult) => void,
    rejectResult: (e: unknown) => void,
  ): AsyncGenerator<ChatChunk> {
    const started = performance.now();
    try {
      if (this.closed) throw new AbortError('the model is closed');
      if (options.signal?.aborted) throw new AbortError();
      const prompt =
        messages instanceof PreparedPrompt
          ? messages.prompt
          : await this.processor.process(messages, { ...this.processOptions });
      hooks.onPrompt?.(prompt.inputIds.length);
      const grammar = options.responseFormat ? await this.formats.compile(options.responseFormat) : undefined;
      const decoder = new IncrementalDecoder(
        this.processor.tokenizer,
        options.stop,
        options.showSpecialTokens,
      );
      const queue = new EventQueue();
      let requestId: number;
      try {
        requestId = this.generator.submit({
          inputIds: prompt.inputIds,
          tiles: prompt.tiles,
          imagesSpatialCrop: prompt.imagesSpatialCrop,
          imageTokenPositions: prompt.imageTokenPositions,
          maxTokens: options.maxTokens,
          stopTokenIds: options.stopTokenIds,
          sampling: options.sampling,
          ...(grammar ? { grammar } : {}),
        });
      } catch (error) {
        throw fromNativeError(error);
      }
      this.queues.set(requestId, queue);
      const onAbort = () => this.generator.cancel(requestId);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const tokenIds: number[] = [];
      let firstTokenAt = 0;
      let finish: FinishReason | undefined;
      try {
        while (finish === undefined) {
          const event = await queue.next();
          if (options.signal?.aborted) {
            // Tokens the scheduler made before the abort reached it are dropped: the stream ends now.
            finish = 'abort';
            yield { text: '', tokenIds: [], logprobs: [], finishReason: finish };
            break;
          }
          if (event.finish === 'error')
            throw fromNativeError(Object.assign(new Error(event.error), { code: event.code }));
          const chunkIds: number[] = [];
          const chunkLogprobs: number[] = [];
          let text = '';
          if (event.token !== undefined) {
            if (!firstTokenAt) firstTokenAt = performance.now();
            const isStopToken = event.finish === 'stop';
            if (!isStopToken) {
              tokenIds.push(event.token);
              chunkIds.push(event.token);
              chunkLogprobs.push(event.logprob ?? Number.NaN);
              text = decoder.push(event.token);
            }
          }
          if (event.finish === 'abort' && this.closed && !options.signal?.aborted) {
            throw new AbortError('the model was closed');
          }
          if (event.finish) finish = event.finish;
          if (decoder.stopped && finish === undefined) {
            this.generator.cancel(requestId); // a stop string ended the answer
            finish = 'stop';
          }
          if (finish !== undefined) text += decoder.flush();
          if (text || chunkIds.length || finish)
            yield {
              text,
              tokenIds: chunkIds,
              logprobs: chunkLogprobs,
              ...(finish ? { finishReason: finish } : {}),
            };
        }
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        this.queues.delete(requestId);
        if (finish === undefined) this.generator.cancel(requestId); // the consumer stopped early
      }
      const now = performance.now();
      const imageTokens = prompt.numImageTokens.reduce((a, b) => a + b, 0);
      resolveResult({
        text: decoder.text,
        tokenIds,
        finishReason: finish,
        usage: { promptTokens: prompt.inputIds.length, imageTokens, completionTokens: tokenIds.length },
        timings: {
          timeToFirstTokenMs: (firstTokenAt || now) - started,
          tokensPerSecond:
            tokenIds.length > 1 && firstTokenAt ? ((tokenIds.length - 1) * 1000) / (now - firstTokenAt) : 0,
          totalMs: now - started,
        },
        boxes: parseGrounding(decoder.text, prompt.imageSizes[0]),
      });
    } catch (error) {
      rejectResult(error as Vl2Error);
      throw error;
    }
  }
}
