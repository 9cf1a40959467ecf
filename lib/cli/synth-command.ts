/** `vl2 synth`: write a random checkpoint in the exact published layout, for benchmarks and tests. */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';
import { type VariantName, variantNames } from '../synth/variants.js';
import { writeSyntheticCheckpoint } from '../synth/write-checkpoint.js';

export function registerSynthCommand(program: Command): void {
  program
    .command('synth')
    .description('write a synthetic (random bf16) checkpoint with the published names and shapes')
    .requiredOption('--variant <name>', `one of ${variantNames.join(', ')}`)
    .requiredOption('--out <dir>', 'output directory')
    .requiredOption('--tokenizer <file>', 'the DeepSeek tokenizer.json to derive the tokenizer files from')
    .option('--layers <n>', "language layers (default: the variant's depth)", (v) => Number.parseInt(v, 10))
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 0)
    .action(
      async (options: { variant: string; out: string; tokenizer: string; layers?: number; seed: number }) => {
        if (!(variantNames as readonly string[]).includes(options.variant)) {
          throw new InvalidArgumentError(`--variant must be one of ${variantNames.join(', ')}`);
        }
        const started = Date.now();
        let lastReport = 0;
        const { totalBytes, shards } = await writeSyntheticCheckpoint({
          variant: options.variant as VariantName,
          out: options.out,
          layers: options.layers,
          seed: options.seed,
          tokenizerJson: options.tokenizer,
          onProgress: (written, total) => {
            if (written - lastReport >= 256 * 1024 ** 2 || written === total) {
              lastReport = written;
              process.stderr.write(
                `\r${(written / 1024 ** 3).toFixed(2)} / ${(total / 1024 ** 3).toFixed(2)} GiB`,
              );
            }
          },
        });
        const seconds = (Date.now() - started) / 1000;
        process.stderr.write('\n');
        console.log(
          `wrote ${options.variant} (${shards.length} shards, ${(totalBytes / 1024 ** 3).toFixed(2)} GiB) to ${options.out} ` +
            `in ${seconds.toFixed(1)} s (${(totalBytes / 1024 ** 3 / seconds).toFixed(2)} GiB/s)`,
        );
      },
    );
}
