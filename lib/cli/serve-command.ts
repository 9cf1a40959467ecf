/**
 * `vl2 serve`: the OpenAI-compatible HTTP server. It listens at once and loads the model behind it
 * (/health answers 503 until the model is ready). SIGINT or SIGTERM stops accepting requests, lets
 * those in flight finish (aborting them after the grace period), closes the model and exits; a second
 * signal ends the process at once. The web demo's chat page is served at / unless --no-ui.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';
import { createServer } from '../server/index.js';
import { cpuPrecisionHelp, cpuPrecisionLoadOptions } from './cpu-precision-option.js';
import { loadWithProgress } from './load-with-progress.js';

interface ServeOptions {
  model: string;
  cpuPrecision?: string;
  tokenizer?: string;
  host: string;
  port: number;
  apiKey?: string;
  maxQueue: number;
  imageRoot?: string;
  allowRemoteImages?: boolean;
  modelName?: string;
  device: 'auto' | 'cpu' | 'cuda';
  graceSeconds: number;
  /** False with --no-ui. */
  ui: boolean;
}

const integer = (v: string) => Number.parseInt(v, 10);

/** What clients call the model: a directory's name, or the hub id as given. */
const defaultModelName = (model: string) => (existsSync(model) ? basename(resolve(model)) : model);

async function serve(options: ServeOptions): Promise<void> {
  const modelName = options.modelName ?? defaultModelName(options.model);
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    throw new InvalidArgumentError(`--port must be 0..65535, got ${options.port}`);
  const loading = loadWithProgress(options.model, {
    tokenizer: options.tokenizer,
    device: options.device,
    ...cpuPrecisionLoadOptions(options.cpuPrecision),
  });
  loading.catch(() => {}); // reported below, after the server is up
  const server = createServer(loading, {
    modelName,
    // An environment variable keeps the key out of `ps` output.
    apiKey: options.apiKey ?? process.env.VL2_API_KEY,
    maxQueue: options.maxQueue,
    imageRoot: options.imageRoot && resolve(options.imageRoot),
    allowRemoteImages: options.allowRemoteImages ?? false,
    shutdownGraceMs: options.graceSeconds * 1000,
    ui: options.ui,
    logger: { level: 'info' },
  });
  const address = await server.listen({ host: options.host, port: options.port });
  process.stderr.write(`vl2 serve: listening on ${address}, loading ${options.model}\n`);
  if (options.ui) process.stderr.write(`vl2 serve: chat page at ${address}/\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(130); // the second signal: no more waiting
    stopping = true;
    process.stderr.write(`vl2 serve: ${signal}, finishing requests in flight\n`);
    await server.close();
    await (await loading.catch(() => undefined))?.close();
    process.stderr.write('vl2 serve: stopped\n');
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    await loading;
  } catch (error) {
    await server.close();
    throw error;
  }
  process.stderr.write(`vl2 serve: ready (model '${modelName}')\n`);
}

/** Adds `vl2 serve` to the program. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions)')
    .requiredOption(
      '--model <dir>',
      'model directory (Hugging Face layout) or hub id (org/name, pulled into the cache)',
    )
    .option('--tokenizer <file>', "tokenizer.json to use instead of the model's")
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', integer, 8000)
    .option('--api-key <key>', 'require "Authorization: Bearer KEY" on /v1/* (default: $VL2_API_KEY)')
    .option('--max-queue <n>', 'chat completions in flight at once; more get 429', integer, 256)
    .option('--image-root <dir>', 'serve local image paths under this directory (default: refused)')
    .option('--allow-remote-images', 'fetch http(s) image URLs (public addresses only, 20 MiB, 10 s)')
    .option('--model-name <name>', "the model id clients send (default: the directory's name, or the hub id)")
    .option('--device <device>', 'auto, cpu or cuda', 'auto')
    .option('--cpu-precision <precision>', cpuPrecisionHelp)
    .option('--grace-seconds <s>', 'on SIGINT/SIGTERM, how long requests in flight may finish', integer, 30)
    .option('--no-ui', 'do not serve the web demo (the chat page at /)')
    .action(serve);
}
