/**
 * What one server holds across requests: the model (once loaded), admission against --max-queue,
 * and the abort controller of every chat completion in flight (a client disconnect aborts its own;
 * shutdown aborts them all once the grace period is over).
 */
import type { LoadedModel as Model } from '../model.js';
import { HttpError } from './errors.js';
import type { ImagePolicy } from './images.js';
import type { ServerMetrics } from './metrics.js';

/** Why a generation was aborted, read back from its signal's reason. */
export type AbortCause = 'client-disconnected' | 'shutdown';

export class AbortReason extends Error {
  constructor(readonly why: AbortCause) {
    super(why === 'shutdown' ? 'the server is shutting down' : 'the client disconnected');
  }
}

export interface StateOptions {
  /** The id /v1/models lists and requests must name. */
  modelName: string;
  /** Chat completions admitted at once (running or waiting); more get 429. */
  maxQueue: number;
  /** max_tokens when a request gives none. */
  defaultMaxTokens: number;
  images: ImagePolicy;
}

export class ServerState {
  model?: Model;
  loadError?: Error;
  closing = false;
  private readonly inFlight = new Set<AbortController>();
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly options: StateOptions,
    readonly metrics: ServerMetrics,
  ) {}

  /** The model, or a 503 saying why there is none to use. */
  ready(): Model {
    if (this.closing)
      throw new HttpError(503, 'the server is shutting down', 'server_error', null, 'shutting_down');
    if (this.loadError)
      throw new HttpError(
        503,
        `the model failed to load: ${this.loadError.message}`,
        'server_error',
        null,
        'load_failed',
      );
    if (!this.model) throw new HttpError(503, 'the model is still loading', 'server_error', null, 'loading');
    return this.model;
  }

  /** Admits a chat completion or throws 429 when --max-queue are already in flight. */
  admit(): AbortController {
    if (this.inFlight.size >= this.options.maxQueue) {
      throw new HttpError(
        429,
        `the server is at its limit of ${this.options.maxQueue} requests in flight; retry shortly`,
        'rate_limit_error',
        null,
        'queue_full',
        { 'retry-after': '1' },
      );
    }
    const controller = new AbortController();
    this.inFlight.add(controller);
    this.metrics.inFlight.set(this.inFlight.size);
    return controller;
  }

  release(controller: AbortController): void {
    this.inFlight.delete(controller);
    this.metrics.inFlight.set(this.inFlight.size);
    if (this.inFlight.size === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /** Resolves once no chat completion is in flight. */
  drained(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  abortAll(cause: AbortCause): void {
    for (const controller of this.inFlight) controller.abort(new AbortReason(cause));
  }
}
