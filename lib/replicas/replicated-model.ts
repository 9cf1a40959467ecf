/**
 * One model, a replica per GPU (or several on the CPU): each replica is a whole {@link Model} with
 * its own scheduler and KV cache, loaded in parallel; every request goes to the replica with the
 * least outstanding work (router.ts). Same interface as a single Model, so a service or `vl2 batch`
 * needs no other change. A request that fails on one replica fails alone; the others go on.
 */
import { join } from 'node:path';
import type { EngineInfo } from '../engine/native-types.js';
import { AbortError, type Vl2Error } from '../errors.js';
import { type ChatHooks, type ChatRequest, GenerationSurface } from '../generation-surface.js';
import { resolveModelDir } from '../hub/resolve-model-id.js';
import { type LoadedModel, type LoadOptions, Model, type SchedulerStats } from '../model.js';
import type { GenerateOptions } from '../options.js';
import type { PreparedPrompt } from '../prepared.js';
import { type ChatMessage, HfTokenizer, type Processor } from '../processor/index.js';
import type { ChatChunk, GenerateResult } from '../results.js';
import type { ReplicaPlacement } from './devices.js';
import { type ReplicaLoad, ReplicaRouter } from './router.js';

/** Requests in flight per replica when a batch does not say (the single model's default). */
const batchConcurrencyPerReplica = 64;

/** What the replicated model needs of each replica: a Model, or a stand-in in tests. */
export interface Replica
  extends Pick<LoadedModel, 'processor' | 'device' | 'close' | 'info' | 'stats' | 'prepare'> {
  chat(
    messages: ChatMessage[] | PreparedPrompt,
    options: GenerateOptions,
    hooks: ChatHooks,
  ): AsyncIterable<ChatChunk> & { result: Promise<GenerateResult> };
}

/** One replica in {@link ReplicatedModel.info}: where it runs, what it holds, what it is doing. */
export interface ReplicaInfo extends EngineInfo, ReplicaLoad {
  /** Its position in the replica list. */
  replica: number;
  /** The GPU index, for CUDA replicas. */
  cudaDevice?: number;
}

/** {@link ReplicatedModel.info}: totals over the replicas (bytes, cache tokens, hits), then each one. */
export interface ReplicatedInfo extends EngineInfo {
  replicas: ReplicaInfo[];
}

/** Whether an info() answer is a replicated model's (one entry per replica). */
export function isReplicatedInfo(info: EngineInfo): info is ReplicatedInfo {
  return Array.isArray((info as Partial<ReplicatedInfo>).replicas);
}

/** Same surface as a single Model (chat, generate, generateBatch from GenerationSurface). */
export class ReplicatedModel extends GenerationSurface implements LoadedModel {
  private readonly router: ReplicaRouter;
  private closed = false;

  private constructor(
    private readonly replicas: Replica[],
    private readonly placements: (ReplicaPlacement | undefined)[],
  ) {
    super();
    this.router = new ReplicaRouter(replicas.length);
  }

  /**
   * Loads one replica per placement, in parallel, from one model directory (a hub id is pulled
   * once first). The tokenizer is read once and shared. If any replica fails to load, those that
   * loaded are closed and the first failure is thrown, naming its device.
   */
  static async load(
    source: string,
    placements: ReplicaPlacement[],
    options: LoadOptions = {},
  ): Promise<ReplicatedModel> {
    const { onProgress, hub, ...shared } = options;
    const dir = await resolveModelDir(source, {
      ...hub,
      onProgress: ({ downloadedBytes, totalBytes }) =>
        onProgress?.({
          stage: 'download',
          fraction: totalBytes > 0 ? downloadedBytes / totalBytes : 1,
          downloadedBytes,
          totalBytes,
        }),
    });
    const tokenizer =
      typeof shared.tokenizer === 'object'
        ? shared.tokenizer
        : await HfTokenizer.load(shared.tokenizer ?? join(dir, 'tokenizer.json'));
    // Progress: every replica reports its own stages; the caller sees the slowest one. The
    // download (if any) is over by now, so every replica starts at 'validate'.
    const fractions = placements.map(() => 0);
    const stageOrder = ['download', 'validate', 'load', 'ready'] as const;
    const stages = placements.map(() => stageOrder.indexOf('validate'));
    const settled = await Promise.allSettled(
      placements.map((placement, i) =>
        Model.load(dir, {
          ...shared,
          ...placement,
          tokenizer,
          onProgress: (progress) => {
            fractions[i] = progress.fraction;
            stages[i] = stageOrder.indexOf(progress.stage);
            onProgress?.({
              stage: stageOrder[Math.min(...stages)] ?? 'load',
              fraction: Math.min(...fractions),
            });
          },
        }),
      ),
    );
    const loaded = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = settled.findIndex((s) => s.status === 'rejected');
    if (failed >= 0) {
      await Promise.allSettled(loaded.map((model) => model.close()));
      const error = (settled[failed] as PromiseRejectedResult).reason as Error;
      error.message = `replica ${failed} (${describePlacement(placements[failed] as ReplicaPlacement)}): ${error.message}`;
      throw error;
    }
    return new ReplicatedModel(loaded, placements);
  }

  /** @internal Replicas already made (the router tests use stand-ins). */
  static fromReplicas(replicas: Replica[]): ReplicatedModel {
    if (replicas.length === 0) throw new Error('a replicated model needs at least one replica');
    return new ReplicatedModel(replicas, []);
  }

  /** The shared processor (every replica's is the same model's). */
  get processor(): Processor {
    return (this.replicas[0] as Replica).processor;
  }

  get device(): 'cpu' | 'cuda' {
    return (this.replicas[0] as Replica).device;
  }

  /** How many replicas the model has. */
  get replicaCount(): number {
    return this.replicas.length;
  }

  /** How many replicas still take requests (a replica whose device failed is taken out of service). */
  get replicasInService(): number {
    return this.router.inService();
  }

  /**
   * The processor alone, on the first replica's (every replica's processor is the same model's), so
   * a batch prepares its next requests before a replica is chosen for them.
   */
  prepare(messages: ChatMessage[]): Promise<PreparedPrompt> {
    return (this.replicas[0] as Replica).prepare(messages);
  }

  /** Requests in flight per replica times the replicas. */
  protected override defaultBatchConcurrency(): number {
    return batchConcurrencyPerReplica * this.replicas.length;
  }

  /** Closes every replica (open streams end with an AbortError); throws the first failure after all tried. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const settled = await Promise.allSettled(this.replicas.map((replica) => replica.close()));
    const failure = settled.find((s) => s.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
  }

  /** Totals over the replicas, then each replica's own info and current load. */
  info(): ReplicatedInfo {
    const loads = this.router.snapshot();
    const replicas = this.replicas.map((replica, i): ReplicaInfo => {
      const placement = this.placements[i];
      return {
        ...replica.info(),
        ...(loads[i] as ReplicaLoad),
        replica: i,
        ...(placement?.device === 'cuda' ? { cudaDevice: placement.cudaDevice } : {}),
      };
    });
    const first = replicas[0] as ReplicaInfo;
    const sum = (key: keyof EngineInfo) => replicas.reduce((total, r) => total + (r[key] as number), 0);
    const names = [...new Set(replicas.map((r) => r.device))];
    return {
      backend: first.backend,
      device: `${replicas.length} x ${names.join(' + ')}`,
      weightBytes: sum('weightBytes'),
      cacheBytes: sum('cacheBytes'),
      activationBytes: sum('activationBytes'),
      deviceFreeBytes: sum('deviceFreeBytes'),
      cpuKernels: first.cpuKernels,
      cpuPrecision: first.cpuPrecision,
      cacheCapacityTokens: sum('cacheCapacityTokens'),
      cacheFreeTokens: sum('cacheFreeTokens'),
      cacheBytesPerToken: first.cacheBytesPerToken,
      // Replicas map the same files: the page cache holds them once.
      mappedBytes: first.mappedBytes,
      vocabSize: first.vocabSize,
      hiddenSize: first.hiddenSize,
      numLayers: first.numLayers,
      maxPositions: first.maxPositions,
      visionWidth: first.visionWidth,
      prefixHitBlocks: sum('prefixHitBlocks'),
      visionCacheHits: sum('visionCacheHits'),
      replicas,
    };
  }

  /** Scheduler counters summed over the replicas (maxBatch: the largest of any one). */
  stats(): SchedulerStats {
    const all = this.replicas.map((replica) => replica.stats());
    return {
      steps: all.reduce((t, s) => t + s.steps, 0),
      preemptions: all.reduce((t, s) => t + s.preemptions, 0),
      maxBatch: Math.max(...all.map((s) => s.maxBatch)),
      promptChunks: all.reduce((t, s) => t + s.promptChunks, 0),
    };
  }

  /** Streams from the replica with the least outstanding work when iteration starts. */
  protected async *stream(
    { messages, options, resolved, hooks }: ChatRequest,
    resolveResult: (r: GenerateResult) => void,
    rejectResult: (e: unknown) => void,
  ): AsyncGenerator<ChatChunk> {
    if (this.closed) {
      const error = new AbortError('the model is closed');
      rejectResult(error);
      throw error;
    }
    const ticket = this.router.route(resolved.maxTokens);
    const stream = (this.replicas[ticket.replica] as Replica).chat(messages, options, {
      onPrompt: (promptTokens) => {
        ticket.promptBuilt(promptTokens);
        hooks.onPrompt?.(promptTokens);
      },
    });
    stream.result.then(resolveResult, rejectResult);
    try {
      for await (const chunk of stream) {
        ticket.wrote(chunk.tokenIds.length);
        yield chunk;
      }
    } catch (error) {
      // A CUDA failure leaves the device unusable: route around it (the others go on).
      if ((error as Vl2Error).code === 'VL2_CUDA')
        this.router.takeOutOfService(ticket.replica, (error as Error).message);
      throw error;
    } finally {
      ticket.end();
    }
  }
}

function describePlacement(placement: ReplicaPlacement): string {
  return placement.device === 'cuda' ? `GPU ${placement.cudaDevice}` : 'cpu';
}
