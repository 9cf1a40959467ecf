/**
 * Many requests through one model: submitted with bounded concurrency (the native scheduler decodes
 * all of them together), results yielded in completion order, a failed request recorded as an error
 * without stopping the others.
 * Preprocessing runs ahead: while `concurrency` requests generate, up to `lookahead` more are read
 * from the input and prepared (images decoded and tiled on the native pool), so a freed slot starts
 * generating at once instead of waiting on its images. The input is read only as far as that window,
 * so an iterable of any length (a JSONL stream) runs in bounded memory.
 */
import { InvalidArgumentError, type Vl2Error } from './errors.js';
import type { GenerateOptions } from './options.js';
import type { PreparedPrompt } from './prepared.js';
import type { ChatMessage } from './processor/index.js';
import type { GenerateResult } from './results.js';

/** What a batch needs of a model: one whole generation per request, and the preprocessing alone. */
export interface Generator {
  generate(messages: ChatMessage[] | PreparedPrompt, options?: GenerateOptions): Promise<GenerateResult>;
  /** Without it, each request's preprocessing runs inside its generate call. */
  prepare?(messages: ChatMessage[]): Promise<PreparedPrompt>;
}

export interface BatchRequest {
  /** Your id for this request (default: its index). */
  id?: string;
  messages: ChatMessage[];
  options?: Omit<GenerateOptions, 'signal'>;
}

/** Requests as an array, or read as they come from any (async) iterable. */
export type BatchInput = Iterable<BatchRequest> | AsyncIterable<BatchRequest>;

export interface BatchResult {
  id: string;
  index: number;
  result?: GenerateResult;
  error?: { code: string; message: string };
}

export interface BatchOptions {
  /** Requests generating at once (default 64). */
  concurrency?: number;
  /** Requests prepared ahead of a free generation slot (default min(concurrency, 16)). */
  lookahead?: number;
  /** total: the number of requests when the input is an array, else undefined. */
  onProgress?: (progress: { done: number; total: number | undefined; failed: number }) => void;
  signal?: AbortSignal;
}

function positiveInteger(value: number, name: string, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum)
    throw new InvalidArgumentError(`${name} must be an integer >= ${minimum}, got ${value}`);
  return value;
}

function iteratorOf(requests: BatchInput): AsyncIterator<BatchRequest> | Iterator<BatchRequest> {
  if (Symbol.asyncIterator in requests) return requests[Symbol.asyncIterator]();
  if (Symbol.iterator in requests) return requests[Symbol.iterator]();
  throw new InvalidArgumentError('requests must be an array or an (async) iterable of requests');
}

const failure = (id: string, index: number, error: Vl2Error): BatchResult => ({
  id,
  index,
  error: { code: error.code ?? 'VL2_INTERNAL', message: error.message },
});

interface Admitted {
  id: string;
  index: number;
  request: BatchRequest;
  input: ChatMessage[] | PreparedPrompt;
}

export async function* generateBatch(
  model: Generator,
  requests: BatchInput,
  options: BatchOptions = {},
): AsyncGenerator<BatchResult> {
  const concurrency = positiveInteger(options.concurrency ?? 64, 'concurrency', 1);
  const lookahead = positiveInteger(options.lookahead ?? Math.min(concurrency, 16), 'lookahead', 0);
  const total = Array.isArray(requests) ? requests.length : undefined;
  const iterator = iteratorOf(requests);
  let exhausted = false;
  let nextIndex = 0;
  let preparing = 0;
  let generating = 0;
  let done = 0;
  let failed = 0;
  const ready: Admitted[] = [];
  const finished: BatchResult[] = [];
  // One waiter at a time: the loop below; callbacks set `signalled` so no wake-up is lost.
  let signalled = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    signalled = true;
    wake?.();
  };

  const admit = (request: BatchRequest, index: number) => {
    const id = request.id ?? String(index);
    if (!model.prepare) {
      ready.push({ id, index, request, input: request.messages });
      return;
    }
    preparing++;
    model.prepare(request.messages).then(
      (prompt) => {
        preparing--;
        ready.push({ id, index, request, input: prompt });
        notify();
      },
      (error: Vl2Error) => {
        preparing--;
        finished.push(failure(id, index, error));
        notify();
      },
    );
  };
  const launch = ({ id, index, request, input }: Admitted) => {
    generating++;
    model.generate(input, { ...request.options, signal: options.signal }).then(
      (result) => {
        generating--;
        finished.push({ id, index, result });
        notify();
      },
      (error: Vl2Error) => {
        generating--;
        finished.push(failure(id, index, error));
        notify();
      },
    );
  };

  for (;;) {
    while (!exhausted && generating + preparing + ready.length < concurrency + lookahead) {
      const next = await iterator.next();
      if (next.done) exhausted = true;
      else admit(next.value, nextIndex++);
    }
    while (generating < concurrency && ready.length > 0) launch(ready.shift() as Admitted);
    const result = finished.shift();
    if (result) {
      done++;
      if (result.error) failed++;
      options.onProgress?.({ done, total, failed });
      yield result;
      continue;
    }
    if (exhausted && generating + preparing + ready.length === 0) return;
    if (!signalled) await new Promise<void>((resolve) => (wake = resolve));
    signalled = false;
    wake = undefined;
  }
}
