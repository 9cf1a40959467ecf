/**
 * `vl2 batch`: requests from a JSONL file, results appended to a JSONL file as they finish. Resumable:
 * ids already in the output are skipped. A failed request is written with its error; the batch goes on.
 * Input lines: see batch-lines.ts (each checked whole; a refused line is recorded under its id).
 * Both files are streamed (a first pass counts, a second feeds the batch as it goes), so memory stays
 * flat for any number of lines; the batch prepares the next requests' images while others generate.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { BatchRequest } from '../batch.js';
import { BatchLineError, parseBatchLine } from './batch-lines.js';
import { gpusHelp, gpusLoadOptions } from './gpus-option.js';
import { loadWithProgress } from './load-with-progress.js';
import { checkModelOrQueue, type QueueBatchFlags, runBatchOnQueue } from './queue-batch.js';

/** The file's lines with their 1-based numbers, read as a stream. */
async function* linesOf(file: string): AsyncGenerator<[string, number]> {
  let lineNumber = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity }))
    yield [text, ++lineNumber];
}

async function doneIds(output: string): Promise<Set<string>> {
  const ids = new Set<string>();
  if (!existsSync(output)) return ids;
  for await (const [line] of linesOf(output)) {
    if (!line.trim()) continue;
    try {
      ids.add(String((JSON.parse(line) as { id: unknown }).id));
    } catch {
      // a line cut short by an interrupted run: that request runs again
    }
  }
  return ids;
}

type Parsed = { request: BatchRequest } | { invalid: string };

/** Every non-empty input line not done yet: its request, or the error line to record for it. */
async function* pendingLines(input: string, skip: Set<string>): AsyncGenerator<Parsed> {
  for await (const [text, lineNumber] of linesOf(input)) {
    if (!text.trim()) continue;
    try {
      const request = parseBatchLine(text, lineNumber);
      if (!skip.has(request.id as string)) yield { request };
    } catch (error) {
      const id = error instanceof BatchLineError ? error.requestId : `line-${lineNumber}`;
      if (skip.has(id)) continue; // recorded by an earlier run
      yield {
        invalid: JSON.stringify({
          id,
          error: { code: 'VL2_INVALID_ARGUMENT', message: (error as Error).message },
        }),
      };
    }
  }
}

/** The valid requests of pendingLines, read as the batch asks for them. */
async function* requestsOf(input: string, skip: Set<string>): AsyncGenerator<BatchRequest> {
  for await (const line of pendingLines(input, skip)) if ('request' in line) yield line.request;
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
        const skip = await doneIds(options.output);
        const out = createWriteStream(options.output, { flags: 'a' });
        const write = async (line: string) => {
          if (!out.write(`${line}\n`)) await once(out, 'drain');
        };
        let toRun = 0;
        let invalid = 0;
        for await (const line of pendingLines(options.input, skip)) {
          if ('request' in line) toRun++;
          else {
            invalid++;
            await write(line.invalid);
          }
        }
        process.stderr.write(`${toRun} requests to run (${skip.size} already done, ${invalid} invalid)\n`);
        if (options.queue) {
          out.end();
          await once(out, 'close');
          const requests: BatchRequest[] = [];
          for await (const request of requestsOf(options.input, skip)) requests.push(request);
          return runBatchOnQueue({ ...options, queue: options.queue }, requests, options.output);
        }
        const bar = new SingleBar({
          format: 'batch [{bar}] {value}/{total} ({failed} failed)',
          stream: process.stderr,
        });
        let model: Awaited<ReturnType<typeof loadWithProgress>> | undefined;
        try {
          model = await loadWithProgress(options.model as string, {
            tokenizer: options.tokenizer,
            ...gpusLoadOptions(options.gpus),
          });
          bar.start(toRun, 0, { failed: 0 });
          for await (const done of model.generateBatch(requestsOf(options.input, skip), {
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
            await write(JSON.stringify(line));
          }
        } finally {
          bar.stop();
          out.end();
          await once(out, 'close');
          await model?.close();
        }
      },
    );
}
