/** `--gpus all` or `--gpus 0,1`: a replica of the model per GPU (see lib/replicas/). */
import { InvalidArgumentError } from '../errors.js';
import type { ModelLoadOptions } from '../load-model.js';

export const gpusHelp = "a model replica per GPU: 'all' or indices (0,1); requests go to the least busy";

/** The load options `--gpus VALUE` asks for (nothing when it is absent). */
export function gpusLoadOptions(value: string | undefined): Pick<ModelLoadOptions, 'device' | 'cudaDevices'> {
  if (value === undefined) return {};
  if (value === 'all') return { device: 'cuda', cudaDevices: 'all' };
  const indices = value.split(',').map((part) => part.trim());
  if (!indices.every((part) => /^\d+$/.test(part)))
    throw new InvalidArgumentError(
      `--gpus takes 'all' or GPU indices separated by commas (0,1), got '${value}'`,
    );
  return { device: 'cuda', cudaDevices: indices.map(Number) };
}
