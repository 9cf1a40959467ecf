/**
 * A queue worker: takes batch jobs from a BullMQ queue, runs each job's requests through the model
 * (all of them in flight together, several jobs at once) and returns their result lines. A job holds
 * a lock that this worker renews while it runs; if the worker dies, the lock lapses and another
 * worker's stalled-job check puts the job back in the queue, so nothing is lost.
 */
import { UnrecoverableError, Worker } from 'bullmq';
import type { LoadedModel } from '../model.js';
import {
  type BatchJobData,
  type BatchJobResult,
  batchJobName,
  isRequestError,
  jobRequests,
  type ResultLine,
  resultLine,
} from './jobs.js';
import type { QueueAddress } from './queue-address.js';
import { checkReachable } from './reachable.js';

export interface QueueWorkerOptions {
  /** Jobs run at once (default 4); their requests share the model's batched steps. */
  jobs?: number;
  /** This worker's name, stored on each job it takes (default: BullMQ's). */
  name?: string;
  /** How long a job's lock lasts without renewal (default 30000): how soon a dead worker's job is freed. */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose lock lapsed (default 30000). */
  stalledIntervalMs?: number;
  /** How many times a job may be put back after its worker died before it fails (default 1). */
  maxStalledCount?: number;
  /** Called as each job ends: its id, requests, failed requests, or the error that failed it. */
  onJob?: (event: { jobId: string; requests: number; failed: number; ms: number; error?: Error }) => void;
  /** Called when the connection to Redis fails (BullMQ reconnects by itself). */
  onError?: (error: Error) => void;
}

/** A running worker; close() lets the jobs in hand finish, then disconnects. */
export interface QueueWorker {
  close(): Promise<void>;
}

export async function startQueueWorker(
  model: Pick<LoadedModel, 'generateBatch'>,
  address: QueueAddress,
  options: QueueWorkerOptions = {},
): Promise<QueueWorker> {
  await checkReachable(address);
  const worker = new Worker<BatchJobData, BatchJobResult>(
    address.name,
    async (job) => {
      const started = performance.now();
      const requests = jobRequests(job.data);
      if (job.name !== batchJobName || !requests)
        throw new UnrecoverableError(
          `VL2_INVALID_ARGUMENT: job ${job.id} is not a batch job ({ requests: [...] } or { request })`,
        );
      const abort = new AbortController();
      const results: ResultLine[] = [];
      try {
        for await (const done of model.generateBatch(requests, {
          concurrency: requests.length,
          signal: abort.signal,
        })) {
          if (done.error && !isRequestError(done.error.code)) {
            abort.abort(); // the job will run again: stop its other requests now
            throw new Error(`${done.error.code}: request ${done.id}: ${done.error.message}`);
          }
          results.push(resultLine(done));
        }
      } catch (error) {
        options.onJob?.({
          jobId: String(job.id),
          requests: requests.length,
          failed: 0,
          ms: performance.now() - started,
          error: error as Error,
        });
        throw error;
      }
      options.onJob?.({
        jobId: String(job.id),
        requests: requests.length,
        failed: results.filter((r) => r.error).length,
        ms: performance.now() - started,
      });
      return { results };
    },
    {
      connection: address.connection,
      concurrency: options.jobs ?? 4,
      ...(options.name ? { name: options.name } : {}),
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 1,
    },
  );
  worker.on('error', (error) => options.onError?.(error));
  await worker.waitUntilReady();
  return { close: () => worker.close() };
}
