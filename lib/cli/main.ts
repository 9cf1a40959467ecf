#!/usr/bin/env node
/** The `vl2` command line: one subcommand per file under lib/cli/. */
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { registerBackendsCommand } from './backends-command.js';
import { registerBatchCommand } from './batch-command.js';
import { registerChatCommand } from './chat-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerPullCommand } from './pull-command.js';
import { registerRunCommand } from './run-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerSynthCommand } from './synth-command.js';
import { registerWorkerCommand } from './worker-command.js';

// libuv's pool runs image decoding (sharp) and the native tiling tasks; its default of 4 threads would
// cap a batch at 4 images in flight on a many-core host. Only effective before the pool's first use.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));

const program = new Command('vl2').description(
  'Run DeepSeek-VL2 vision-language models from the command line',
);
registerBackendsCommand(program);
registerSynthCommand(program);
registerPullCommand(program);
registerRunCommand(program);
registerChatCommand(program);
registerDemoCommand(program);
registerBatchCommand(program);
registerServeCommand(program);
registerWorkerCommand(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  const code = (error as { code?: string })?.code;
  console.error(`vl2: ${error instanceof Error ? error.message : String(error)}${code ? ` (${code})` : ''}`);
  process.exitCode = 1;
});
