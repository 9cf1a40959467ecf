/**
 * `vl2 batch`: requests from a JSONL file, results appended to a JSONL file as they finish. Resumable:
 * ids already in the output are skipped. A failed request is written with its error; the batch goes on.
 * Input lines: see batch-lines.ts.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { BatchRequest } from '../batch.js';
import { BatchLineError, parseBatchLine } from './batch-lines.js';
import { loadWithProgress } from './load-with-progress.js';

async function doneIds(output: string): Promise<Set<string>> {
  const text = await readFile(output, 'utf8').catch(() => '');
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      ids.add(String((JSON.parse(line) as { id: unknown }).id));
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
    .requiredOption(
      '--model <dir>',
      'model directory (Hugging Face layout) or hub id (org/name, pulled into the cache)',
    )
    .requiredOption('--input <file>', 'requests, one JSON object per line')
    .requiredOption('--output <file>', 'results, appended one JSON object per line')
    .option('--concurrency <n>', 'requests in flight', (v) => Number.parseInt(v, 10), 64)
    .option('--tokenizer <file>', "tokenizer.json to use instead of the model's")
    .action(
      async (options: {
        model: string;
        input: string;
        output: string;
        concurrency: number;
        tokenizer?: string;
      }) => {
        const lines = (await readFile(options.input, 'utf8')).split('\n');
        const skip = await doneIds(options.output);
        const requests: BatchRequest[] = [];
        const invalid: string[] = [];
        lines.forEach((text, i) => {
          if (!text.trim()) return;
          try {
            const request = parseBatchLine(text, i + 1);
            if (!skip.has(request.id as string)) requests.push(request);
          } catch (error) {
            const id = error instanceof BatchLineError ? error.requestId : `line-${i + 1}`;
            if (skip.has(id)) return;
            invalid.push(
              JSON.stringify({
                id,
                error: { code: 'VL2_INVALID_ARGUMENT', message: (error as Error).message },
              }),
            );
          }
        });
        for (const line of invalid) await appendFile(options.output, `${line}\n`);
        process.stderr.write(
          `${requests.length} requests to run (${skip.size} already done, ${invalid.length} invalid)\n`,
        );
        const model = await loadWithProgress(options.model, { tokenizer: options.tokenizer });
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
