/** `vl2 run`: answer one prompt about zero or more images, streaming the answer. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { drawGrounding } from '../grounding.js';
import type { ChatMessage } from '../processor/index.js';
import { loadWithProgress } from './load-with-progress.js';

/** Parsed flags of `vl2 run`. */
export interface RunOptions {
  model: string;
  image?: string[];
  maxTokens: number;
  temperature: number;
  seed?: number;
  boxes?: string;
  tokenizer?: string;
}

/** Adds `vl2 run` to the program. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('answer a prompt about images, streaming the answer')
    .requiredOption(
      '--model <dir>',
      'model directory (Hugging Face layout) or hub id (org/name, pulled into the cache)',
    )
    .option('--image <file...>', 'images, placed before the prompt in order')
    .option('--max-tokens <n>', 'most new tokens', (v) => Number.parseInt(v, 10), 512)
    .option('--temperature <t>', '0 decodes greedily', Number.parseFloat, 0)
    .option('--seed <n>', 'sampling seed', (v) => Number.parseInt(v, 10))
    .option('--boxes <out.png>', 'draw the grounding boxes of the answer on the first image')
    .option('--tokenizer <file>', "tokenizer.json to use instead of the model's")
    .argument('<prompt>', 'the question or instruction')
    .action(async (prompt: string, options: RunOptions) => {
      const model = await loadWithProgress(options.model, { tokenizer: options.tokenizer });
      try {
        const images = options.image ?? [];
        const content = `${images.map(() => '<image>\n').join('')}${prompt}`;
        const messages: ChatMessage[] = [{ role: 'user', content, images }];
        const stream = model.chat(messages, {
          maxTokens: options.maxTokens,
          temperature: options.temperature,
          seed: options.seed,
        });
        for await (const chunk of stream) process.stdout.write(chunk.text);
        const result = await stream.result;
        process.stdout.write('\n');
        process.stderr.write(
          `[${result.usage.completionTokens} tokens, ${result.finishReason}; first token ${result.timings.timeToFirstTokenMs.toFixed(0)} ms, ` +
            `${result.timings.tokensPerSecond.toFixed(1)} tokens/s]\n`,
        );
        if (options.boxes) {
          if (!images[0]) throw new Error('--boxes needs an --image');
          await writeFile(options.boxes, await drawGrounding(images[0], result.boxes));
          process.stderr.write(`${result.boxes.length} grounded objects drawn to ${options.boxes}\n`);
        }
      } finally {
        await model.close();
      }
    });
}
