/**
 * A batch through a queue: the requests are added in chunks as BullMQ jobs (workers on any host
 * take them), and each chunk's result lines are handed back as its job finishes. A job that fails
 * is retried with exponential backoff; after its last attempt each of its requests gets an error
 * line. Job ids are a hash of the chunk, so running the same batch again while its jobs are still
 * queued (an interrupted run) joins them instead of adding them twice; collected jobs are removed.
 */
import { createHash } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { BatchRequest } from '../batch.js';
import { AbortError, InvalidArgumentError } from '../errors.js';
import { type BatchJobData, type BatchJobResult, batchJobName, failureOf, type ResultLine } from './jobs.js';
import type { QueueAddress } from './queue-address.js';
import { checkReachable } from './reachable.js';

export interface QueueBatchOptions {
  /** Requests per job (default 16): large enough to amortise the queue, small enough to spread. */
  chunkSize?: number;
  /** Tries per job before its requests are reported failed (default 3). */
  attempts?: number;
  /** The first retry's delay; each next one doubles it (default 1000). */
  backoffMs?: number;
  /** Receives each finished job's lines (awaited one job at a time, in finishing order). */
  onLines: (lines: ResultLine[]) => Promise<void>;
  onProgress?: (progress: { done: number; total: number; failed: number }) => void;
  /**
   * Stops waiting (rejects with an AbortError); the jobs stay queued and workers go on with them,
   * so running the same batch again collects them.
   */
  signal?: AbortSignal;
  /** Called when the connection to Redis fails after it was made (BullMQ reconnects by itself). */
  onError?: (error: Error) => void;
}

/** Jobs added per round trip. */
const addBatchSize = 500;
/** A completed or failed job is kept this long if no collector removes it (an interrupted run). */
const keepFinishedSeconds = 24 * 3600;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Runs `requests` (each with an id) through the queue; resolves when every one has a line. */
export async function runQueueBatch(
  address: QueueAddress,
  requests: BatchRequest[],
  options: QueueBatchOptions,
): Promise<{ done: number; failed: number }> {
  const chunkSize = positiveInteger('chunkSize', options.chunkSize ?? 16);
  const attempts = positiveInteger('attempts', options.attempts ?? 3);
  const backoffMs = options.backoffMs ?? 1000;
  if (!(backoffMs >= 0)) throw new InvalidArgumentError(`backoffMs must be >= 0, got ${backoffMs}`);
  const chunks: BatchRequest[][] = [];
  for (let i = 0; i < requests.length; i += chunkSize) chunks.push(requests.slice(i, i + chunkSize));
  const total = requests.length;
  let done = 0;
  let failed = 0;
  if (chunks.length === 0) return { done, failed };
  await checkReachable(address);

  const queue = new Queue<BatchJobData, BatchJobResult>(address.name, { connection: address.connection });
  const events = new QueueEvents(address.name, { connection: address.connection });
  queue.setMaxListeners(0); // every job being waited on listens for the queue closing
  const onError = (error: Error) => options.onError?.(error);
  queue.on('error', onError);
  events.on('error', onError);
  let writing = Promise.resolve();
  const deliver = (lines: ResultLine[]) => {
    writing = writing.then(async () => {
      if (options.signal?.aborted) return;
      await options.onLines(lines);
      done += lines.length;
      failed += lines.filter((line) => line.error).length;
      options.onProgress?.({ done, total, failed });
    });
    return writing;
  };
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(new AbortError('the batch stopped waiting; its jobs stay queued'));
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    await Promise.race([Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), aborted]);
    const waits: Promise<void>[] = [];
    for (let start = 0; start < chunks.length; start += addBatchSize) {
      const jobs = await queue.addBulk(
        chunks.slice(start, start + addBatchSize).map((chunk) => ({
          name: batchJobName,
          data: { requests: chunk },
          opts: {
            jobId: `chunk-${createHash('sha256').update(JSON.stringify(chunk)).digest('hex').slice(0, 40)}`,
            attempts,
            backoff: { type: 'exponential', delay: backoffMs },
            removeOnComplete: { age: keepFinishedSeconds },
            removeOnFail: { age: keepFinishedSeconds },
          },
        })),
      );
      jobs.forEach((job, i) => {
        waits.push(collect(job, chunks[start + i] as BatchRequest[]));
      });
    }
    const collected = Promise.all(waits);
    collected.catch(() => {}); // observed by the race; after an abort nobody waits for it
    await Promise.race([collected, aborted]);
    await writing;
  } finally {
    await Promise.allSettled([events.close(), queue.close()]);
  }
  return { done, failed };

  async function collect(job: Job<BatchJobData, BatchJobResult>, chunk: BatchRequest[]): Promise<void> {
    let lines: ResultLine[];
    try {
      const result = (await job.waitUntilFinished(events)) as BatchJobResult;
      lines = result.results;
    } catch (error) {
      if (options.signal?.aborted) return; // the queue closed under the wait: the job goes on
      const { code, message } = failureOf((error as Error).message);
      const tries = (await Job.fromId(queue, job.id as string).catch(() => undefined))?.attemptsMade;
      lines = chunk.map((request) => ({
        id: request.id as string,
        error: { code, message: `failed after ${tries ?? attempts} attempts: ${message}` },
      }));
    }
    await deliver(lines);
    if (options.signal?.aborted) return; // not written: keep the job for the next run
    await queue.remove(job.id as string).catch(() => {}); // a job another run already removed
  }
}
