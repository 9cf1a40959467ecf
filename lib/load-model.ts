/**
 * `loadModel`: one model on one device, or replicas of it over several GPUs (or CPU replicas) when
 * `cudaDevices` or `cpuReplicas` ask for them. Both answer to the same interface ({@link LoadedModel}).
 */
import { backends } from './backends.js';
import { type LoadedModel, type LoadOptions, Model } from './model.js';
import { type ReplicaOptions, replicaPlacements } from './replicas/devices.js';
import { ReplicatedModel } from './replicas/replicated-model.js';

/** Options of {@link loadModel}: those of one model, and where its replicas go. */
export type ModelLoadOptions = LoadOptions & ReplicaOptions;

/**
 * Loads a model directory or a hub model id (`deepseek-ai/deepseek-vl2-tiny`); see {@link Model.load}.
 * With `cudaDevices` (a list of GPU indices, or 'all') it loads a replica per GPU in parallel, with
 * `cpuReplicas` that many on the CPU, and returns a {@link ReplicatedModel} that routes each request
 * to the replica with the least outstanding work.
 */
export function loadModel(
  source: string,
  options: LoadOptions & ({ cudaDevices: number[] | 'all' } | { cpuReplicas: number }),
): Promise<ReplicatedModel>;
export function loadModel(
  source: string,
  options?: LoadOptions & { cudaDevices?: undefined; cpuReplicas?: undefined },
): Promise<Model>;
export function loadModel(source: string, options?: ModelLoadOptions): Promise<LoadedModel>;
export async function loadModel(source: string, options: ModelLoadOptions = {}): Promise<LoadedModel> {
  const { cudaDevices, cpuReplicas, ...single } = options;
  const placements = replicaPlacements(options, backends());
  if (!placements) return Model.load(source, single);
  return ReplicatedModel.load(source, placements, single);
}
