/** Loads a model for the CLI with a progress bar on stderr. */
import { SingleBar } from 'cli-progress';
import type { EngineInfo } from '../engine/native-types.js';
import { type LoadOptions, loadModel, type Model } from '../model.js';

export async function loadWithProgress(dir: string, options: LoadOptions = {}): Promise<Model> {
  const bar = new SingleBar({
    format: 'loading {stage} [{bar}] {percentage}%',
    stream: process.stderr,
    clearOnComplete: true,
  });
  bar.start(100, 0, { stage: 'validate' });
  let model: Model;
  try {
    model = await loadModel(dir, {
      ...options,
      onProgress: ({ stage, fraction }) => bar.update(Math.round(fraction * 100), { stage }),
    });
  } finally {
    bar.stop();
  }
  process.stderr.write(`${describeLoaded(model.info())}\n`);
  return model;
}

/** One line on what loaded where: "cuda (NVIDIA H100 80GB HBM3): KV cache 1091712 tokens (61440 B/token, 67.1 GB), weights 6.7 GB". */
export function describeLoaded(info: EngineInfo): string {
  const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
  const cache = `KV cache ${info.cacheCapacityTokens} tokens (${info.cacheBytesPerToken} B/token, ${gb(info.cacheCapacityTokens * info.cacheBytesPerToken)})`;
  const weights =
    info.backend === 'cuda'
      ? `weights ${gb(info.weightBytes)} on the GPU`
      : `weights ${gb(info.mappedBytes)} mapped`;
  return `${info.backend} (${info.device}): ${cache}, ${weights}`;
}
