/**
 * `vl2 demo`: proves the whole path on any machine without downloads. Writes a small random model
 * (toy width, real structure) to a temporary folder, runs the bundled image through processor, vision
 * tower, projector and language model, and prints throughput. The answer is random text: the weights are.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { backends } from '../backends.js';
import { packageRoot } from '../engine/addon.js';
import { loadModel } from '../load-model.js';
import { ByteTokenizer } from '../processor/index.js';
import { type VariantName, variantNames } from '../synth/variants.js';
import { writeSyntheticCheckpoint } from '../synth/write-checkpoint.js';
import { describeBackends } from './backends-command.js';

/** Adds `vl2 demo` to the program. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('write a small random model and run the bundled image through it end to end')
    .option('--variant <name>', `structure to copy: ${variantNames.join(', ')}`, 'small')
    .option('--max-tokens <n>', 'tokens to generate', (v) => Number.parseInt(v, 10), 64)
    .action(async (options: { variant: string; maxTokens: number }) => {
      console.log(describeBackends());
      if (!backends().some((b) => b.available)) throw new Error('no backend is available');
      const dir = await mkdtemp(join(tmpdir(), 'vl2-demo-'));
      try {
        await writeSyntheticCheckpoint({
          variant: options.variant as VariantName,
          out: dir,
          toy: true,
          seed: 1,
        });
        const model = await loadModel(dir, { device: 'cpu', tokenizer: new ByteTokenizer(1024) });
        try {
          const image = join(packageRoot(), 'assets', 'demo.png');
          const stream = model.chat(
            [{ role: 'user', content: '<image>\nDescribe this image.', images: [image] }],
            {
              maxTokens: options.maxTokens,
              temperature: 0.7,
              seed: 1,
            },
          );
          let chunks = 0;
          for await (const _ of stream) chunks++;
          const result = await stream.result;
          console.log(
            `demo (${options.variant} structure at toy width, random weights): ${result.usage.promptTokens} prompt tokens ` +
              `(${result.usage.imageTokens} for the image), ${result.usage.completionTokens} generated in ${chunks} chunks; ` +
              `first token ${result.timings.timeToFirstTokenMs.toFixed(0)} ms, ${result.timings.tokensPerSecond.toFixed(0)} tokens/s, ` +
              `finish: ${result.finishReason}`,
          );
        } finally {
          await model.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
}
