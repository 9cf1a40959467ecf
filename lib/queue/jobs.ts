/**
 * What travels through the queue: a job's data is a chunk of batch requests (a single request is a
 * chunk of one); its return value is one result line per request, the lines `vl2 batch` writes.
 * A request's own failure (a bad image, an invalid option, a prompt too long) is a result line like
 * any other; any other failure fails the job, so that the queue retries it, on this worker or another.
 */
import type { BatchRequest, BatchResult } from '../batch.js';
import type { GenerateResult } from '../results.js';

/** A job's data: `{ requests: [...] }`, or `{ request }` for one. */
export type BatchJobData = { requests: BatchRequest[] } | { request: BatchRequest };

/** One line of a batch's output: the answer, or why the request failed. */
export interface ResultLine {
  id: string;
  text?: string;
  finishReason?: GenerateResult['finishReason'];
  usage?: GenerateResult['usage'];
  boxes?: GenerateResult['boxes'];
  error?: { code: string; message: string };
}

/** A job's return value. */
export interface BatchJobResult {
  results: ResultLine[];
}

/** The job name every batch chunk is added under. */
export const batchJobName = 'vl2-batch';

/** Failures that belong to the request itself: running it again anywhere gives the same error. */
const requestErrorCodes = new Set([
  'VL2_INVALID_ARGUMENT',
  'VL2_IMAGE',
  'VL2_CONTEXT_OVERFLOW',
  'VL2_UNSUPPORTED',
]);

export function isRequestError(code: string): boolean {
  return requestErrorCodes.has(code);
}

/** A finished request as an output line (the fields `vl2 batch` writes). */
export function resultLine(done: BatchResult): ResultLine {
  if (!done.result) return { id: done.id, error: done.error };
  const { text, finishReason, usage, boxes } = done.result;
  return { id: done.id, text, finishReason, usage, boxes };
}

/** A job's requests, whichever form its data has. */
export function jobRequests(data: BatchJobData): BatchRequest[] | undefined {
  if ('requests' in data && Array.isArray(data.requests)) return data.requests;
  if ('request' in data && data.request && typeof data.request === 'object') return [data.request];
  return undefined;
}

/**
 * A failed job carries its cause as "CODE: message" (BullMQ keeps only a message); this reads the
 * code back, or VL2_INTERNAL for failures of the queue itself (a job stalled too often).
 */
export function failureOf(reason: string): { code: string; message: string } {
  const match = /^(VL2_[A-Z_]+): ([\s\S]*)$/.exec(reason);
  return match
    ? { code: match[1] as string, message: match[2] as string }
    : { code: 'VL2_INTERNAL', message: reason };
}
