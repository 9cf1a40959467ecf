/**
 * `vl2 batch`: requests from a JSONL file, results appended to a JSONL file as they finish. Resumable:
 * ids already in the output are skipped. A failed request is written with its error; the batch goes on.
 * Input lines: { "id": "...", "prompt": "...", "images": ["a.jpg"], "options": { "maxTokens": 64 } }
 * or { "id": "...", "messages": [...] }.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { BatchRequest } from '../batch.js';
import { InvalidArgumentError } from '../errors.js';
import { gpusHelp, gpusLoadOptions } from './gpus-option.js';
import { loadWithProgress } from './load-with-progress.js';
import { checkModelOrQueue, type QueueBatchFlags, runBatchOnQueue } from './queue-batch.js';

interface InputLine {
  id?: string;
  prompt?: string;
  images?: string[];
  messages?: BatchRequest['messages'];
  options?: BatchRequest['options'];
}

function toRequest(line: InputLine, lineNumber: number): BatchRequest {
  const id = line.id ?? `line-${lineNumber}`;
  if (line.messages) return { id, messages: line.messages, options: line.options };
  if (typeof line.prompt !== 'string')
    throw new InvalidArgumentError(`line ${lineNumber}: needs "prompt" or "messages"`);
  const images = line.images ?? [];
  const content = `${images.map(() => '<image>\n').join('')}${line.prompt}`;
  return { id, messages: [{ role: 'user', content, images }], options: line.options };
}

async function doneIds(output: string): Promise<Set<string>> {
  const text = await readFile(output, 'utf8').catch(() => '');
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      ids.add((JSON.parse(line) as { id: string }).id);
    } catch {
      // a line cut short by an interrupted run: that request runs again
    }
  }
  return ids;
}

export function registerBatchCommand(program: Command): void {
  program
    .command('batch')
    .description('run a JSONL file of requests; resumable (skips ids already in the output)')
    .option(
      '--model <dir>',
      'model directory (Hugging Face layout) or hub id (org/name, pulled into the cache); not with --queue',
    )
    .requiredOption('--input <file>', 'requests, one JSON object per line')
    .requiredOption('--output <file>', 'results, appended one JSON object per line')
    .option('--concurrency <n>', 'requests in flight (default 64 per GPU)', (v) => Number.parseInt(v, 10))
    .option('--tokenizer <file>', "tokenizer.json to use instead of the model's")
    .option('--gpus <list>', gpusHelp)
    .option('--queue <url>', 'send the requests to vl2 workers through redis://HOST:PORT/NAME instead')
    .option('--chunk-size <n>', 'with --queue: requests per job', (v) => Number.parseInt(v, 10), 16)
    .option(
      '--attempts <n>',
      'with --queue: tries per job before its requests fail',
      (v) => Number.parseInt(v, 10),
      3,
    )
    .option(
      '--backoff-ms <ms>',
      'with --queue: first retry delay, doubled each time',
      (v) => Number.parseInt(v, 10),
      1000,
    )
    .action(
      async (
        options: {
          model?: string;
          input: string;
          output: string;
          concurrency?: number;
          tokenizer?: string;
          gpus?: string;
        } & QueueBatchFlags,
      ) => {
        checkModelOrQueue(options);
        const lines = (await readFile(options.input, 'utf8')).split('\n');
        const skip = await doneIds(options.output);
        const requests: BatchRequest[] = [];
        const invalid: string[] = [];
        lines.forEach((text, i) => {
          if (!text.trim()) return;
          try {
            const request = toRequest(JSON.parse(text) as InputLine, i + 1);
            if (!skip.has(request.id as string)) requests.push(request);
          } catch (error) {
            invalid.push(
              JSON.stringify({
                id: `line-${i + 1}`,
                error: { code: 'VL2_INVALID_ARGUMENT', message: (error as Error).message },
              }),
            );
          }
        });
        for (const line of invalid) await appendFile(options.output, `${line}\n`);
        process.stderr.write(
          `${requests.length} requests to run (${skip.size} already done, ${invalid.length} invalid)\n`,
        );
        if (options.queue)
          return runBatchOnQueue({ ...options, queue: options.queue }, requests, options.output);
        const model = await loadWithProgress(options.model as string, {
          tokenizer: options.tokenizer,
          ...gpusLoadOptions(options.gpus),
        });
        const bar = new SingleBar({
          format: 'batch [{bar}] {value}/{total} ({failed} failed)',
          stream: process.stderr,
        });
        bar.start(requests.length, 0, { failed: 0 });
        try {
          for await (const done of model.generateBatch(requests, {
            concurrency: options.concurrency,
            onProgress: ({ done: count, failed }) => bar.update(count, { failed }),
          })) {
            const line = done.result
              ? {
                  id: done.id,
                  text: done.result.text,
                  finishReason: done.result.finishReason,
                  usage: done.result.usage,
                  boxes: done.result.boxes,
                }
              : { id: done.id, error: done.error };
            await appendFile(options.output, `${JSON.stringify(line)}\n`);
          }
        } finally {
          bar.stop();
          await model.close();
        }
      },
    );
}
