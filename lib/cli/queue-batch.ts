/**
 * `vl2 batch --queue redis://HOST:PORT/NAME`: instead of loading the model, the batch's requests go
 * to a BullMQ queue in chunks (`vl2 worker` processes take them, on this host or others) and the
 * result lines are appended to the output as the chunks finish, with a progress bar. Resuming works
 * as without a queue: ids already in the output are not sent again.
 */
import { appendFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import type { BatchRequest } from '../batch.js';
import { InvalidArgumentError } from '../errors.js';
import { parseQueueAddress } from '../queue/queue-address.js';

/** The options `vl2 batch` takes for a queue (declared in batch-command.ts). */
export interface QueueBatchFlags {
  queue?: string;
  chunkSize: number;
  attempts: number;
  backoffMs: number;
}

/** `vl2 batch` runs the model here (--model, --gpus) or sends the requests to workers (--queue). */
export function checkModelOrQueue(flags: { model?: string; gpus?: string; queue?: string }): void {
  if (flags.queue === undefined) {
    if (!flags.model) throw new InvalidArgumentError('batch needs --model (or --queue)');
    return;
  }
  parseQueueAddress(flags.queue);
  if (flags.model || flags.gpus)
    throw new InvalidArgumentError(
      'with --queue the workers load the model: give --model and --gpus to `vl2 worker`, not to batch',
    );
}

/** Runs `requests` through the queue, appending each finished chunk's lines to `output`. */
export async function runBatchOnQueue(
  flags: QueueBatchFlags & { queue: string },
  requests: BatchRequest[],
  output: string,
): Promise<void> {
  const address = parseQueueAddress(flags.queue);
  const { host, port } = address.connection;
  process.stderr.write(
    `sending ${requests.length} requests in ${Math.ceil(requests.length / flags.chunkSize)} jobs to ` +
      `${host}:${port}/${address.name}; vl2 worker processes on that queue run them\n`,
  );
  // BullMQ loads only when a queue is used (it adds ~0.2 s to every vl2 start otherwise).
  const { runQueueBatch } = await import('../queue/batch-queue.js');
  const bar = new SingleBar({
    format: 'batch via queue [{bar}] {value}/{total} ({failed} failed)',
    stream: process.stderr,
  });
  bar.start(requests.length, 0, { failed: 0 });
  try {
    await runQueueBatch(address, requests, {
      chunkSize: flags.chunkSize,
      attempts: flags.attempts,
      backoffMs: flags.backoffMs,
      // One write per chunk: an interrupted run leaves whole chunks, so a rerun chunks the rest alike.
      onLines: (lines) => appendFile(output, lines.map((line) => `${JSON.stringify(line)}\n`).join('')),
      onProgress: ({ done, failed }) => bar.update(done, { failed }),
      onError: (error) => process.stderr.write(`\nqueue: ${error.message} (reconnecting)\n`),
    });
  } finally {
    bar.stop();
  }
}
