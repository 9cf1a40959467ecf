/**
 * The cost of the HTTP layer: N concurrent streamed chat completions through `createServer` and the
 * official openai client (loopback, same process), beside the same N requests as in-process
 * model.chat calls, in the same run on the same loaded model. Prints requests/s, output tokens/s and
 * time to first token p50/p99 per concurrency and mode (the median run of --repeats for the rates;
 * TTFT percentiles over every request of every repeat).
 *   tsx bench/server.ts [--model DIR] [--tokenizer FILE] [--concurrency 1,8,32] [--max-tokens 64]
 *                       [--repeats 3] [--device auto|cpu|cuda]
 * Defaults: the golden tiny model and its tokenizer (../shared/golden), so it runs on any CPU.
 */
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import OpenAI from 'openai';
import { createServer, loadModel, type Model } from '../lib/index.js';
import { seededRandom } from './support/prompts.js';
import { printTable } from './support/table.js';

const golden = resolve(import.meta.dirname, '..', '..', 'shared', 'golden');
const opts = new Command()
  .option('--model <dir>', 'model directory', join(golden, 'models', 'tiny'))
  .option('--tokenizer <file>', 'tokenizer.json', join(golden, 'tokenizer', 'tokenizer.json'))
  .option('--concurrency <list>', 'requests in flight at once', '1,8,32')
  .option('--max-tokens <n>', 'tokens each request writes', '64')
  .option('--repeats <n>', 'runs per concurrency and mode', '3')
  .option('--device <device>', 'auto, cpu or cuda', 'auto')
  .parse()
  .opts<{
    model: string;
    tokenizer: string;
    concurrency: string;
    maxTokens: string;
    repeats: string;
    device: 'auto' | 'cpu' | 'cuda';
  }>();
const maxTokens = Number(opts.maxTokens);
const repeats = Number(opts.repeats);
const modelName = 'bench';

const words = ['river', 'glass', 'north', 'quiet', 'amber', 'signal', 'market', 'window', 'cloud', 'paper'];
/** Distinct seeded prompts of about 24 words (under one 64-token prefix-cache block). */
function prompts(count: number, seed: number): string[] {
  const next = seededRandom(seed);
  return Array.from(
    { length: count },
    (_, i) =>
      `Request ${i}: ${Array.from({ length: 24 }, () => words[Math.floor(next() * words.length)]).join(' ')}.`,
  );
}

interface Sample {
  ttftMs: number;
  tokens: number;
}

async function inProcess(model: Model, text: string): Promise<Sample> {
  const started = performance.now();
  let ttftMs = 0;
  let tokens = 0;
  for await (const chunk of model.chat([{ role: 'user', content: text }], { maxTokens })) {
    if (chunk.tokenIds.length && !ttftMs) ttftMs = performance.now() - started;
    tokens += chunk.tokenIds.length;
  }
  return { ttftMs, tokens };
}

async function overHttp(client: OpenAI, text: string): Promise<Sample> {
  const started = performance.now();
  let ttftMs = 0;
  let tokens = 0;
  const stream = await client.chat.completions.create({
    model: modelName,
    messages: [{ role: 'user', content: text }],
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta.content && !ttftMs) ttftMs = performance.now() - started;
    if (chunk.usage) tokens = chunk.usage.completion_tokens;
  }
  return { ttftMs, tokens };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const median = (values: number[]) => percentile(values, 50);

const model = await loadModel(opts.model, { device: opts.device, tokenizer: opts.tokenizer });
const app = createServer(model, { modelName, maxQueue: 4096, logger: false });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
const client = new OpenAI({ baseURL: `${address}/v1`, apiKey: 'bench', maxRetries: 0 });
const info = model.info();
console.log(
  `model ${opts.model} on ${info.backend} (${info.device}), ${maxTokens} output tokens per request, greedy`,
);

// Warm both paths (allocators, JIT, the server's routes) before anything is timed.
await Promise.all(prompts(4, 99).map((text) => inProcess(model, text)));
await Promise.all(prompts(4, 98).map((text) => overHttp(client, text)));

const rows: Record<string, string | number>[] = [];
for (const concurrency of opts.concurrency.split(',').map(Number)) {
  const modes = {
    'in-process': (t: string) => inProcess(model, t),
    http: (t: string) => overHttp(client, t),
  };
  const results = new Map<string, { rates: number[]; tokenRates: number[]; ttfts: number[] }>();
  for (let repeat = 0; repeat < repeats; repeat++) {
    // Alternate which mode runs first so neither always meets a warmer machine.
    const order = repeat % 2 === 0 ? (['in-process', 'http'] as const) : (['http', 'in-process'] as const);
    for (const mode of order) {
      const texts = prompts(concurrency, concurrency * 100 + repeat);
      const started = performance.now();
      const samples = await Promise.all(texts.map(modes[mode]));
      const seconds = (performance.now() - started) / 1000;
      const entry = results.get(mode) ?? { rates: [], tokenRates: [], ttfts: [] };
      entry.rates.push(concurrency / seconds);
      entry.tokenRates.push(samples.reduce((a, s) => a + s.tokens, 0) / seconds);
      entry.ttfts.push(...samples.map((s) => s.ttftMs));
      results.set(mode, entry);
    }
  }
  for (const [mode, r] of results) {
    rows.push({
      concurrency: String(concurrency),
      mode,
      'requests/s': median(r.rates),
      'tokens/s': median(r.tokenRates),
      'TTFT p50 ms': percentile(r.ttfts, 50),
      'TTFT p99 ms': percentile(r.ttfts, 99),
    });
  }
}
printTable('Streamed chat completions: HTTP (openai client, loopback) beside in-process model.chat', rows);
await app.close();
await model.close();
