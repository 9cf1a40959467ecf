/**
 * Many requests through one model: submitted with bounded concurrency (the native scheduler decodes
 * all of them together), results yielded in completion order, a failed request recorded as an error
 * without stopping the others.
 */
import { InvalidArgumentError, type Vl2Error } from './errors.js';
import type { GenerateOptions } from './options.js';
import type { ChatMessage } from './processor/index.js';
import type { GenerateResult } from './results.js';

/** What a batch needs of a model: one whole generation per request. */
export interface Generator {
  generate(messages: ChatMessage[], options?: GenerateOptions): Promise<GenerateResult>;
}

export interface BatchRequest {
  /** Your id for this request (default: its index). */
  id?: string;
  messages: ChatMessage[];
  options?: Omit<GenerateOptions, 'signal'>;
}

export interface BatchResult {
  id: string;
  index: number;
  result?: GenerateResult;
  error?: { code: string; message: string };
}

export interface BatchOptions {
  /** Requests in flight at once (default 64). */
  concurrency?: number;
  onProgress?: (progress: { done: number; total: number; failed: number }) => void;
  signal?: AbortSignal;
}

export async function* generateBatch(
  model: Generator,
  requests: BatchRequest[],
  options: BatchOptions = {},
): AsyncGenerator<BatchResult> {
  const concurrency = options.concurrency ?? 64;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new InvalidArgumentError('concurrency must be an integer >= 1');
  const total = requests.length;
  let next = 0;
  let done = 0;
  let failed = 0;
  const inFlight = new Map<number, Promise<BatchResult>>();
  const start = (index: number) => {
    const request = requests[index] as BatchRequest;
    const id = request.id ?? String(index);
    const promise = model.generate(request.messages, { ...request.options, signal: options.signal }).then(
      (result): BatchResult => ({ id, index, result }),
      (error: Vl2Error): BatchResult => ({
        id,
        index,
        error: { code: error.code ?? 'VL2_INTERNAL', message: error.message },
      }),
    );
    inFlight.set(index, promise);
  };
  while (next < total && inFlight.size < concurrency) start(next++);
  while (inFlight.size > 0) {
    const finished = await Promise.race(inFlight.values());
    inFlight.delete(finished.index);
    done++;
    if (finished.error) failed++;
    options.onProgress?.({ done, total, failed });
    if (next < total) start(next++);
    yield finished;
  }
}
