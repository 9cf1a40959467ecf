/** `vl2 chat`: an interactive conversation; `/image PATH` attaches an image to the next message. */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { ChatMessage, ImageInput } from '../processor/index.js';
import { cpuPrecisionHelp, cpuPrecisionLoadOptions } from './cpu-precision-option.js';
import { loadWithProgress } from './load-with-progress.js';

/** Adds `vl2 chat` to the program. */
export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('chat interactively; /image PATH attaches an image, /reset starts over, /exit ends')
    .requiredOption(
      '--model <dir>',
      'model directory (Hugging Face layout) or hub id (org/name, pulled into the cache)',
    )
    .option('--max-tokens <n>', 'most new tokens per answer', (v) => Number.parseInt(v, 10), 512)
    .option('--tokenizer <file>', "tokenizer.json to use instead of the model's")
    .option('--cpu-precision <precision>', cpuPrecisionHelp)
    .action(
      async (options: { model: string; maxTokens: number; tokenizer?: string; cpuPrecision?: string }) => {
        const precision = cpuPrecisionLoadOptions(options.cpuPrecision);
        const model = await loadWithProgress(options.model, { tokenizer: options.tokenizer, ...precision });
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        // The line iterator buffers what arrives while an answer is generated; rl.question() drops such
        // lines, so piped input (a script, a test) lost everything after its first line.
        const lines = rl[Symbol.asyncIterator]();
        const history: ChatMessage[] = [];
        let pending: ImageInput[] = [];
        try {
          for (;;) {
            process.stdout.write('you> ');
            const next = await lines.next();
            if (next.done) break; // input closed
            const line = next.value.trim();
            if (line === '/exit') break;
            if (line === '/reset') {
              history.length = 0;
              pending = [];
              continue;
            }
            if (line.startsWith('/image ')) {
              pending.push(line.slice(7).trim());
              console.log(`(image ${pending.length} attached to your next message)`);
              continue;
            }
            if (!line) continue;
            history.push({
              role: 'user',
              content: `${pending.map(() => '<image>\n').join('')}${line}`,
              images: pending,
            });
            pending = [];
            process.stdout.write('vl2> ');
            const stream = model.chat(history, { maxTokens: options.maxTokens });
            try {
              for await (const chunk of stream) process.stdout.write(chunk.text);
              history.push({ role: 'assistant', content: (await stream.result).text });
            } catch (error) {
              history.pop();
              process.stdout.write(`\n(error: ${(error as Error).message})`);
            }
            process.stdout.write('\n');
          }
        } finally {
          rl.close();
          await model.close();
        }
      },
    );
}
