/** `vl2 pull ORG/NAME`: a model from the Hugging Face hub into the shared cache, with a progress bar. */
import type { Command } from 'commander';
import { pullModel } from '../hub/pull.js';
import { createDownloadBar } from './download-bar.js';

/** Parsed flags of `vl2 pull`. */
export interface PullCommandOptions {
  revision?: string;
  cacheDir?: string;
}

/** Adds `vl2 pull` to the program. */
export function registerPullCommand(program: Command): void {
  program
    .command('pull')
    .description(
      'download a model from the Hugging Face hub into its cache (honours HF_HOME, HF_HUB_CACHE, ' +
        'HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE); an interrupted pull resumes',
    )
    .argument('<repo>', 'the model id, e.g. deepseek-ai/deepseek-vl2-tiny')
    .option('--revision <rev>', 'branch, tag or commit hash (default main)')
    .option('--cache-dir <dir>', 'the hub cache folder (default $HF_HUB_CACHE or $HF_HOME/hub)')
    .action(async (repo: string, options: PullCommandOptions) => {
      const bar = createDownloadBar(repo);
      let result: Awaited<ReturnType<typeof pullModel>>;
      try {
        result = await pullModel(repo, {
          revision: options.revision,
          cacheDir: options.cacheDir,
          onProgress: ({ downloadedBytes, totalBytes }) => bar.update(downloadedBytes, totalBytes),
        });
      } finally {
        bar.stop();
      }
      const how = result.offline
        ? 'from the cache (offline)'
        : result.downloadedBytes > 0
          ? `${(result.downloadedBytes / 1e9).toFixed(2)} GB downloaded`
          : 'already in the cache';
      process.stderr.write(`${result.repo} at ${result.commit}: ${how}\n`);
      process.stdout.write(`${result.dir}\n`);
    });
}
