#!/usr/bin/env node
/** The `vl2` command line: one subcommand per file under lib/cli/. */
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
