/**
 * Where the replicas of a model go: one per listed GPU (`cudaDevices: [0, 1]` or `'all'`), or
 * `cpuReplicas` copies on the CPU (each with its share of the cores). Every option is checked
 * against what this machine reports before anything loads, so a wrong index fails at once with a
 * message naming the GPUs that exist.
 */

import type { BackendInfo } from '../engine/addon.js';
import { InvalidArgumentError, UnsupportedError } from '../errors.js';

/** Options of `loadModel` that ask for several replicas of one model. */
export interface ReplicaOptions {
  /**
   * One replica per GPU: their indices (as `vl2 backends` lists them) or 'all'. Implies device
   * 'cuda'; each replica has its own scheduler and KV cache (`cacheTokens` applies to each).
   */
  cudaDevices?: number[] | 'all';
  /**
   * Replicas on the CPU (with device 'cpu'), each given `threads` cores (default: the cores shared
   * out evenly). Useful where a host has several sockets, and to exercise the router without a GPU.
   */
  cpuReplicas?: number;
}

/** One replica's placement. */
export type ReplicaPlacement = { device: 'cuda'; cudaDevice: number } | { device: 'cpu'; threads: number };

/** The most CPU replicas one model may have: beyond the core count they only contend. */
const maxCpuReplicas = 64;

/**
 * The placements `options` ask for, or undefined when they ask for a single model.
 * @throws InvalidArgumentError for malformed, duplicate or unknown indices and conflicting options;
 *   UnsupportedError when GPUs are asked for and CUDA cannot run here (with the reason).
 */
export function replicaPlacements(
  options: ReplicaOptions & { device?: string; cudaDevice?: number; threads?: number },
  backendList: BackendInfo[],
): ReplicaPlacement[] | undefined {
  const { cudaDevices, cpuReplicas } = options;
  if (cudaDevices === undefined && cpuReplicas === undefined) return undefined;
  if (cudaDevices !== undefined && cpuReplicas !== undefined)
    throw new InvalidArgumentError('give cudaDevices or cpuReplicas, not both');
  if (cpuReplicas !== undefined) return cpuPlacements(cpuReplicas, options, backendList);
  if (options.device === 'cpu')
    throw new InvalidArgumentError("cudaDevices needs device 'cuda' (or 'auto'), got device 'cpu'");
  if (options.cudaDevice !== undefined)
    throw new InvalidArgumentError('give cudaDevice (one GPU) or cudaDevices (a replica per GPU), not both');
  const cuda = backendList.find((b) => b.name === 'cuda');
  const available = cuda?.available ? cuda.devices.map((d) => d.index) : [];
  if (cudaDevices === 'all') {
    if (available.length === 0)
      throw new UnsupportedError(
        `cudaDevices 'all' needs CUDA, which is not available here: ${cudaReason(cuda)}`,
      );
    return available.map((cudaDevice) => ({ device: 'cuda', cudaDevice }));
  }
  if (!Array.isArray(cudaDevices) || cudaDevices.length === 0)
    throw new InvalidArgumentError(
      `cudaDevices must be 'all' or a non-empty array of GPU indices, got ${JSON.stringify(cudaDevices)}`,
    );
  const seen = new Set<number>();
  for (const index of cudaDevices) {
    if (!Number.isInteger(index) || index < 0)
      throw new InvalidArgumentError(`cudaDevices: ${JSON.stringify(index)} is not a GPU index (0, 1, ...)`);
    if (seen.has(index))
      throw new InvalidArgumentError(`cudaDevices lists GPU ${index} twice: one replica per GPU`);
    seen.add(index);
  }
  if (available.length === 0)
    throw new UnsupportedError(`cudaDevices needs CUDA, which is not available here: ${cudaReason(cuda)}`);
  for (const index of cudaDevices)
    if (!available.includes(index))
      throw new InvalidArgumentError(
        `cudaDevices: GPU ${index} does not exist here (this machine has GPU ${available.join(', ')})`,
      );
  return cudaDevices.map((cudaDevice) => ({ device: 'cuda', cudaDevice }));
}

function cpuPlacements(
  count: number,
  options: { device?: string; threads?: number },
  backendList: BackendInfo[],
): ReplicaPlacement[] {
  if (!Number.isInteger(count) || count < 1 || count > maxCpuReplicas)
    throw new InvalidArgumentError(
      `cpuReplicas must be an integer from 1 to ${maxCpuReplicas}, got ${count}`,
    );
  if (options.device !== 'cpu')
    throw new InvalidArgumentError(
      `cpuReplicas needs device 'cpu', got ${options.device === undefined ? 'none' : `'${options.device}'`}`,
    );
  const cpu = backendList.find((b) => b.name === 'cpu');
  const cores = cpu && 'threads' in cpu ? cpu.threads : 1;
  const threads = options.threads || Math.max(1, Math.floor(cores / count));
  return Array.from({ length: count }, () => ({ device: 'cpu', threads }));
}

function cudaReason(cuda: BackendInfo | undefined): string {
  if (!cuda) return 'this binary has no CUDA backend';
  return ('reason' in cuda && cuda.reason) || 'no GPU reported';
}
