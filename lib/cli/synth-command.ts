/** `vl2 synth`: write a random checkpoint in the exact published layout, for benchmarks and tests. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../engine/addon.js';
import { InvalidArgumentError } from '../errors.js';
import { type VariantName, variantNames } from '../synth/variants.js';
import { writeSyntheticCheckpoint } from '../synth/write-checkpoint.js';

/**
 * DeepSeek's tokenizer.json is not shipped with the package (4.7 MB); inside the project's workspace
 * the golden fixture beside the repository serves, elsewhere --tokenizer names one.
 */
function defaultTokenizer(): string {
  const fixture = join(packageRoot(), '..', 'shared', 'golden', 'tokenizer', 'tokenizer.json');
  if (!existsSync(fixture)) {
    throw new InvalidArgumentError(
      `--tokenizer is required: give the path of a DeepSeek tokenizer.json (none found at ${fixture})`,
    );
  }
  return fixture;
}

export function registerSynthCommand(program: Command): void {
  program
    .command('synth')
    .description('write a synthetic (random bf16) checkpoint with the published names and shapes')
    .requiredOption('--variant <name>', `one of ${variantNames.join(', ')}`)
    .requiredOption('--out <dir>', 'output directory')
    .option(
      '--tokenizer <file>',
      "the DeepSeek tokenizer.json to derive the tokenizer files from (default: the workspace's fixture)",
    )
    .option('--layers <n>', "language layers (default: the variant's depth)", (v) => Number.parseInt(v, 10))
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 0)
    .action(
      async (options: {
        variant: string;
        out: string;
        tokenizer?: string;
        layers?: number;
        seed: number;
      }) => {
        if (!(variantNames as readonly string[]).includes(options.variant)) {
          throw new InvalidArgumentError(`--variant must be one of ${variantNames.join(', ')}`);
        }
        if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
          throw new InvalidArgumentError(`--seed must be a non-negative integer, got ${options.seed}`);
        }
        const tokenizerJson = options.tokenizer ?? defaultTokenizer();
        if (!existsSync(tokenizerJson)) {
          throw new InvalidArgumentError(`--tokenizer: no such file ${tokenizerJson}`);
        }
        const started = Date.now();
        let lastReport = 0;
        const { totalBytes, shards } = await writeSyntheticCheckpoint({
          variant: options.variant as VariantName,
          out: options.out,
          layers: options.layers,
          seed: options.seed,
          tokenizerJson,
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
