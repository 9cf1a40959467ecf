/**
 * `vl2 worker --queue redis://HOST:PORT/NAME --model DIR`: loads the model (one replica per GPU with
 * --gpus) and processes batch jobs from the queue until stopped. SIGINT or SIGTERM lets the jobs in
 * hand finish first; a second signal exits at once (the queue gives those jobs to another worker).
 */
import type { Command } from 'commander';
import { parseQueueAddress } from '../queue/queue-address.js';
import { ReplicatedModel } from '../replicas/replicated-model.js';
import { gpusHelp, gpusLoadOptions } from './gpus-option.js';
import { loadWithProgress } from './load-with-progress.js';

/** Jobs a worker runs at once per model replica, when --jobs does not say (4 x 16 requests = 64 in flight). */
const jobsPerReplica = 4;

const integer = (v: string) => Number.parseInt(v, 10);

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('process batch jobs from a queue (vl2 batch --queue sends them)')
    .requiredOption('--queue <url>', 'the queue: redis://HOST:PORT/NAME')
    .requiredOption('--model <dir>', 'model directory (Hugging Face layout) or hub id (org/name)')
    .option('--tokenizer <file>', "tokenizer.json to use instead of the model's")
    .option('--gpus <list>', gpusHelp)
    .option('--jobs <n>', `jobs at once (default ${jobsPerReplica} per model replica)`, integer)
    .option('--name <name>', 'this worker’s name, recorded on the jobs it takes')
    .option(
      '--lock-ms <ms>',
      'a job’s lock: how soon a job of a dead worker goes back to the queue',
      integer,
      30_000,
    )
    .option('--stalled-ms <ms>', 'how often to look for jobs whose worker died', integer, 30_000)
    .option('--max-stalled <n>', 'times a job may go back after its worker died before it fails', integer, 1)
    .action(
      async (options: {
        queue: string;
        model: string;
        tokenizer?: string;
        gpus?: string;
        jobs?: number;
        name?: string;
        lockMs: number;
        stalledMs: number;
        maxStalled: number;
      }) => {
        const address = parseQueueAddress(options.queue);
        const { startQueueWorker } = await import('../queue/worker.js'); // BullMQ only when a worker runs
        const { checkReachable } = await import('../queue/reachable.js');
        await checkReachable(address); // before the model loads, which can take minutes
        const model = await loadWithProgress(options.model, {
          tokenizer: options.tokenizer,
          ...gpusLoadOptions(options.gpus),
        });
        const replicas = model instanceof ReplicatedModel ? model.replicaCount : 1;
        // A worker whose GPUs all failed would take jobs only to fail them: it stops (exit 1) instead.
        const noDeviceLeft = () => !(model instanceof ReplicatedModel) || model.replicasInService === 0;
        let stop!: (reason: string) => void;
        const stopped = new Promise<string>((resolve) => {
          stop = resolve;
        });
        const worker = await startQueueWorker(model, address, {
          jobs: options.jobs ?? jobsPerReplica * replicas,
          name: options.name,
          lockDurationMs: options.lockMs,
          stalledIntervalMs: options.stalledMs,
          maxStalledCount: options.maxStalled,
          onJob: ({ jobId, requests, failed, ms, error }) => {
            process.stderr.write(
              error
                ? `job ${jobId}: failed (${error.message}); the queue will retry it\n`
                : `job ${jobId}: ${requests} requests, ${failed} failed, ${(ms / 1000).toFixed(1)} s\n`,
            );
            if (error?.message.startsWith('VL2_CUDA') && noDeviceLeft()) {
              process.exitCode = 1;
              stop('the GPU failed: stopping, so that other workers take the jobs');
            }
          },
          onError: (error) => process.stderr.write(`queue: ${error.message}\n`),
        });
        process.stderr.write(
          `worker ready on ${address.connection.host}:${address.connection.port}/${address.name}\n`,
        );
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals) => {
          if (++signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
          stop('stopping: finishing the jobs in hand (signal again to exit now)');
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        process.stderr.write(`${await stopped}\n`);
        await worker.close();
        await model.close();
      },
    );
}
