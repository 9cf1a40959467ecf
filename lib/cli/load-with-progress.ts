/**
 * Loads a model for the CLI with progress bars on stderr: the download (bytes, rate, time left) when
 * the source is a hub id the cache lacks, then the loading stages.
 */
import { SingleBar } from 'cli-progress';
import type { EngineInfo } from '../engine/native-types.js';
import { loadModel, type ModelLoadOptions } from '../load-model.js';
import type { LoadedModel } from '../model.js';
import { isReplicatedInfo } from '../replicas/replicated-model.js';
import { createDownloadBar } from './download-bar.js';

/** Loads a model directory or hub id (`org/name`), on one device or as replicas (`cudaDevices`). */
export async function loadWithProgress(source: string, options: ModelLoadOptions = {}): Promise<LoadedModel> {
  const download = createDownloadBar(`pulling ${source}`);
  const bar = new SingleBar({
    format: 'loading {stage} [{bar}] {percentage}%',
    stream: process.stderr,
    clearOnComplete: true,
  });
  let loading = false;
  let model: LoadedModel;
  try {
    model = await loadModel(source, {
      ...options,
      onProgress: ({ stage, fraction, downloadedBytes, totalBytes }) => {
        if (stage === 'download') {
          download.update(downloadedBytes ?? 0, totalBytes ?? 0);
          return;
        }
        if (!loading) {
          download.stop();
          bar.start(100, 0, { stage });
          loading = true;
        }
        bar.update(Math.round(fraction * 100), { stage });
      },
    });
  } finally {
    download.stop();
    if (loading) bar.stop();
  }
  const info = model.info();
  if (isReplicatedInfo(info))
    for (const replica of info.replicas)
      process.stderr.write(
        `replica ${replica.replica}${replica.cudaDevice === undefined ? '' : ` (GPU ${replica.cudaDevice})`}: ${describeLoaded(replica)}\n`,
      );
  else process.stderr.write(`${describeLoaded(info)}\n`);
  return model;
}

/**
 * One line on what loaded where: "cuda (NVIDIA H100 80GB HBM3): KV cache 1091712 tokens (61440 B/token,
 * 67.1 GB), weights 6.7 GB on the GPU", or on the CPU "..., weights 6.7 GB mapped, bf16 on avx512-bf16 kernels".
 */
export function describeLoaded(info: EngineInfo): string {
  const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
  const cache = `KV cache ${info.cacheCapacityTokens} tokens (${info.cacheBytesPerToken} B/token, ${gb(info.cacheCapacityTokens * info.cacheBytesPerToken)})`;
  const weights =
    info.backend === 'cuda'
      ? `weights ${gb(info.weightBytes)} on the GPU`
      : `weights ${gb(info.mappedBytes)} mapped, ${info.cpuPrecision} on ${info.cpuKernels} kernels`;
  return `${info.backend} (${info.device}): ${cache}, ${weights}`;
}
