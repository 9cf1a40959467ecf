/** Loads a model for the CLI with a progress bar on stderr. */
import { SingleBar } from 'cli-progress';
import { type LoadOptions, loadModel, type Model } from '../model.js';

export async function loadWithProgress(dir: string, options: LoadOptions = {}): Promise<Model> {
  const bar = new SingleBar({
    format: 'loading {stage} [{bar}] {percentage}%',
    stream: process.stderr,
    clearOnComplete: true,
  });
  bar.start(100, 0, { stage: 'validate' });
  try {
    return await loadModel(dir, {
      ...options,
      onProgress: ({ stage, fraction }) => bar.update(Math.round(fraction * 100), { stage }),
    });
  } finally {
    bar.stop();
  }
}
