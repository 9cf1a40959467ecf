/**
 * Throughput of the scheduler on the GPU with many requests in flight: synthetic Tiny and Small
 * at real width, each request one image of 2x2 tiles (its own random pixels), a 64-token text
 * prompt and 256 output tokens (greedy). Prints, per concurrency: output tokens/s, time to first
 * token p50/p99, steps, and the KV cache's bytes per token against an uncompressed multi-head cache.
 *   tsx bench/cuda-concurrency.ts [--variants tiny,small] [--layers N] [--concurrency 1,16,64,256]
 */
import { Command } from 'commander';
import { nativeAddon } from '../lib/engine/addon.js';
import { EngineModel } from '../lib/engine/native-model.js';
import type { VariantName } from '../lib/synth/variants.js';
import { randomPrompt } from './support/prompts.js';
import { benchModel } from './support/synthetic-model.js';
import { printTable } from './support/table.js';

const program = new Command()
  .option('--variants <list>', 'variants', 'tiny,small')
  .option('--layers <n>', 'language layers (default: full depth)')
  .option('--concurrency <list>', 'requests in flight', '1,16,64,256')
  .option('--output-tokens <n>', 'tokens each request writes', '256')
  .option('--step-tokens <n>', 'scheduler token budget per step', '2048')
  .parse();
const opts = program.opts<{
  variants: string;
  layers?: string;
  concurrency: string;
  outputTokens: string;
  stepTokens: string;
}>();
const outputTokens = Number(opts.outputTokens);

const Generator = nativeAddon().NativeGenerator;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};

const rows: Record<string, string | number>[] = [];
for (const variant of opts.variants.split(',') as VariantName[]) {
  const depth = opts.layers ? Number(opts.layers) : variant === 'tiny' ? 12 : variant === 'small' ? 27 : 30;
  const { dir, cleanup } = await benchModel(undefined, depth, variant);
  try {
    const model = await EngineModel.load(dir, { device: 'cuda', cacheMemoryFraction: 0.9 });
    const info = model.info();
    const config = model.checkpoint.modelConfig;
    const l = config.language;
    // An uncompressed cache keeps every head's key and value: MLA's would be heads x (qk + v).
    const headDims = l.useMla
      ? l.qkNopeHeadDim + l.qkRopeHeadDim + l.vHeadDim
      : (2 * l.hiddenSize) / l.numAttentionHeads;
    const uncompressed = l.numHiddenLayers * l.numAttentionHeads * headDims * 2;
    console.log(
      `\n${variant}: ${depth} layers, ${(info.weightBytes / 1e9).toFixed(1)} GB weights, KV cache ${info.cacheCapacityTokens} tokens ` +
        `(${(info.cacheBytes / 1e9).toFixed(1)} GB), ${info.cacheBytesPerToken} B/token vs ${uncompressed} uncompressed`,
    );
    for (const concurrency of opts.concurrency.split(',').map(Number)) {
      const firstToken = new Map<number, number>();
      const submitted = new Map<number, number>();
      const produced = new Map<number, number>();
      let finished = 0;
      let done!: () => void;
      const allDone = new Promise<void>((resolve) => {
        done = resolve;
      });
      const errors: string[] = [];
      const generator = new Generator(
        model.nativeHandle,
        (events) => {
          const now = performance.now();
          for (const event of events) {
            if (event.token !== undefined) {
              if (!firstToken.has(event.requestId)) firstToken.set(event.requestId, now);
              produced.set(event.requestId, (produced.get(event.requestId) ?? 0) + 1);
            }
            if (event.error) errors.push(event.error);
            if (event.finish && ++finished === concurrency) done();
          }
        },
        { stepTokens: Number(opts.stepTokens) },
      );
      const prompts = Array.from({ length: concurrency }, (_, i) =>
        randomPrompt(config, 10_000 * concurrency + i, 64, { across: 2, down: 2 }),
      );
      const started = performance.now();
      for (const prompt of prompts) {
        const id = generator.submit({ ...prompt, maxTokens: outputTokens, sampling: {} });
        submitted.set(id, performance.now());
      }
      // A line every 10 s while it runs: how far it got and what the scheduler did.
      const progress = setInterval(() => {
        const tokens = [...produced.values()].reduce((a, b) => a + b, 0);
        console.error(
          `  ${variant} x${concurrency}: ${((performance.now() - started) / 1000).toFixed(0)} s, ${finished} done, ` +
            `${firstToken.size} started, ${tokens} tokens, ${JSON.stringify(generator.stats())}`,
        );
      }, 10_000);
      await allDone;
      clearInterval(progress);
      const seconds = (performance.now() - started) / 1000;
      const stats = generator.stats();
      generator.close();
      if (errors.length) throw new Error(`${errors.length} requests failed: ${errors[0]}`);
      const ttft = [...firstToken].map(([id, t]) => t - (submitted.get(id) as number));
      const tokens = [...produced.values()].reduce((a, b) => a + b, 0);
      rows.push({
        variant,
        concurrency,
        'output tokens': tokens,
        seconds,
        'output tokens/s': tokens / seconds,
        'TTFT p50 ms': percentile(ttft, 50),
        'TTFT p99 ms': percentile(ttft, 99),
        steps: stats.steps,
        'max batch': stats.maxBatch,
        preemptions: stats.preemptions,
        'cache B/token': info.cacheBytesPerToken,
        'uncompressed B/token': uncompressed,
      });
      console.log(JSON.stringify(rows.at(-1)));
    }
    model.close();
  } finally {
    await cleanup();
  }
}
printTable(
  `Scheduler on the GPU: 1 image (2x2 tiles) + 64 text tokens in, ${outputTokens} tokens out per request (greedy)`,
  rows,
);
