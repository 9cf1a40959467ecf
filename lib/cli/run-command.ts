/** `vl2 run`: answer one prompt about zero or more images, streaming the answer. */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';
import { drawGrounding } from '../grounding.js';
import type { ChatMessage } from '../processor/index.js';
import { grammarOf, type ResponseFormat } from '../structured/response-format.js';
import { cpuPrecisionHelp, cpuPrecisionLoadOptions } from './cpu-precision-option.js';
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
  jsonSchema?: string;
  json?: boolean;
  regex?: string;
  grammar?: string;
  cpuPrecision?: string;
}

/** The response format the flags ask for (at most one), read from its file where it has one. */
async function responseFormatOf(options: RunOptions): Promise<ResponseFormat | undefined> {
  const chosen = [options.jsonSchema, options.json, options.regex, options.grammar].filter(
    (f) => f !== undefined,
  );
  if (chosen.length > 1)
    throw new InvalidArgumentError('give at most one of --json-schema, --json, --regex, --grammar');
  if (options.jsonSchema) {
    const text = await readFile(options.jsonSchema, 'utf8');
    try {
      return { type: 'json_schema', schema: JSON.parse(text) };
    } catch (error) {
      throw new InvalidArgumentError(
        `--json-schema ${options.jsonSchema} is not JSON: ${(error as Error).message}`,
      );
    }
  }
  if (options.json) return { type: 'json_object' };
  if (options.regex !== undefined) return { type: 'regex', pattern: options.regex };
  if (options.grammar) return { type: 'grammar', grammar: await readFile(options.grammar, 'utf8') };
  return undefined;
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
    .option('--json-schema <file>', 'answer with JSON that validates against this JSON Schema')
    .option('--json', 'answer with a JSON object')
    .option('--regex <pattern>', 'answer with text the whole regular expression matches')
    .option('--grammar <file>', 'answer with text of this grammar (native/grammar/README.md)')
    .option('--cpu-precision <precision>', cpuPrecisionHelp)
    .argument('<prompt>', 'the question or instruction')
    .action(async (prompt: string, options: RunOptions) => {
      const responseFormat = await responseFormatOf(options);
      if (responseFormat) grammarOf(responseFormat); // a bad format stops here, before the model loads
      const precision = cpuPrecisionLoadOptions(options.cpuPrecision);
      const model = await loadWithProgress(options.model, { tokenizer: options.tokenizer, ...precision });
      try {
        const images = options.image ?? [];
        const content = `${images.map(() => '<image>\n').join('')}${prompt}`;
        const messages: ChatMessage[] = [{ role: 'user', content, images }];
        const stream = model.chat(messages, {
          maxTokens: options.maxTokens,
          temperature: options.temperature,
          seed: options.seed,
          ...(responseFormat ? { responseFormat } : {}),
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
