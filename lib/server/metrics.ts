/**
 * Prometheus metrics of one server (its own registry, so several servers in a process do not mix):
 * HTTP requests by route and status, prompt/image/completion tokens, requests in flight and waiting
 * for their first token, time to first token and inter-token latency, and, read from the model at
 * scrape time, KV cache use, device memory and the scheduler's counters. Process metrics (CPU,
 * memory, event-loop lag) come from prom-client's defaults.
 */
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LoadedModel as Model } from '../model.js';
import { loadPromClient } from './dependencies.js';

/** Seconds: from prefill of a one-tile CPU prompt (~10 ms) to a long queue on a loaded server. */
const ttftBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80];
/** Seconds: a GPU decode step (~1 ms) to a CPU step of a large batch. */
const interTokenBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly completions: Counter<'finish_reason'>;
  readonly promptTokens: Counter;
  readonly imageTokens: Counter;
  readonly completionTokens: Counter;
  readonly inFlight: Gauge;
  readonly waiting: Gauge;
  readonly timeToFirstToken: Histogram;
  readonly interTokenLatency: Histogram;

  /** model(): the served model once loaded (undefined before), read at every scrape. */
  constructor(model: () => Model | undefined) {
    const prom = loadPromClient();
    this.registry = new prom.Registry();
    const registers = [this.registry];
    prom.collectDefaultMetrics({ register: this.registry });
    this.requests = new prom.Counter({
      name: 'vl2_http_requests_total',
      help: 'HTTP requests answered, by method, route and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.completions = new prom.Counter({
      name: 'vl2_chat_completions_total',
      help: 'Chat completions that ran on the model, by finish reason',
      labelNames: ['finish_reason'],
      registers,
    });
    this.promptTokens = new prom.Counter({
      name: 'vl2_prompt_tokens_total',
      help: 'Prompt tokens processed, image tokens included',
      registers,
    });
    this.imageTokens = new prom.Counter({
      name: 'vl2_image_tokens_total',
      help: 'Prompt tokens that stood for images',
      registers,
    });
    this.completionTokens = new prom.Counter({
      name: 'vl2_completion_tokens_total',
      help: 'Tokens generated',
      registers,
    });
    this.inFlight = new prom.Gauge({
      name: 'vl2_queue_depth',
      help: 'Chat completions admitted and not yet answered (bounded by --max-queue)',
      registers,
    });
    this.waiting = new prom.Gauge({
      name: 'vl2_requests_waiting',
      help: 'Admitted chat completions that have no token yet (images, queue, prefill)',
      registers,
    });
    this.timeToFirstToken = new prom.Histogram({
      name: 'vl2_time_to_first_token_seconds',
      help: 'From admission to the first generated token',
      buckets: ttftBuckets,
      registers,
    });
    this.interTokenLatency = new prom.Histogram({
      name: 'vl2_inter_token_latency_seconds',
      help: 'Between consecutive generated tokens of one answer',
      buckets: interTokenBuckets,
      registers,
    });
    this.modelGauges(prom, model);
  }

  /** Gauges read from model.info() and model.stats() when scraped. */
  private modelGauges(prom: ReturnType<typeof loadPromClient>, model: () => Model | undefined): void {
    const registers = [this.registry];
    const read = <T>(get: (m: Model) => T): T | undefined => {
      const m = model();
      try {
        return m ? get(m) : undefined;
      } catch {
        return undefined; // the model is closing
      }
    };
    const gauge = (name: string, help: string, value: (m: Model) => number) =>
      new prom.Gauge({
        name,
        help,
        registers,
        collect() {
          const v = read(value);
          if (v !== undefined) this.set(v);
        },
      });
    gauge('vl2_kv_cache_usage_ratio', 'Fraction of the KV cache in use', (m) => {
      const info = m.info();
      return info.cacheCapacityTokens ? 1 - info.cacheFreeTokens / info.cacheCapacityTokens : 0;
    });
    gauge('vl2_kv_cache_capacity_tokens', 'KV cache capacity in tokens', (m) => m.info().cacheCapacityTokens);
    gauge(
      'vl2_device_free_memory_bytes',
      'Memory the GPU has free (0 on the CPU)',
      (m) => m.info().deviceFreeBytes,
    );
    gauge('vl2_scheduler_steps', 'Forward steps the scheduler ran since load', (m) => m.stats().steps);
    gauge(
      'vl2_scheduler_preemptions',
      'Requests preempted for cache space since load',
      (m) => m.stats().preemptions,
    );
    gauge(
      'vl2_scheduler_max_batch',
      'Most requests decoded in one step since load',
      (m) => m.stats().maxBatch,
    );
    gauge(
      'vl2_prefix_cache_hit_blocks',
      'Prompt KV blocks reused since load',
      (m) => m.info().prefixHitBlocks,
    );
    new prom.Gauge({
      name: 'vl2_device_memory_bytes',
      help: 'Memory the model holds, by use: GPU memory, or on the CPU the KV cache (weights are mapped)',
      labelNames: ['kind'],
      registers,
      collect() {
        const info = read((m) => m.info());
        if (!info) return;
        this.set({ kind: 'weights' }, info.weightBytes);
        this.set({ kind: 'kv_cache' }, info.cacheBytes);
        this.set({ kind: 'activations' }, info.activationBytes);
      },
    });
  }
}
