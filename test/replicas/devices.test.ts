/**
 * Where replicas go, checked against what a machine reports (here fake ones: two GPUs, or CUDA
 * compiled but no driver), so every refusal is tested without a GPU.
 */
import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../../lib/engine/addon.js';
import { InvalidArgumentError, UnsupportedError } from '../../lib/errors.js';
import { replicaPlacements } from '../../lib/replicas/devices.js';

const cpu: BackendInfo = {
  name: 'cpu',
  compiled: true,
  available: true,
  threads: 16,
  kernels: { fp32: 'avx2' },
  defaultPrecision: 'fp32',
};
const gpu = (index: number) => ({
  index,
  name: 'NVIDIA H200',
  totalMemoryBytes: 150e9,
  freeMemoryBytes: 140e9,
  computeCapability: '9.0',
  multiprocessorCount: 132,
});
const twoGpus: BackendInfo[] = [
  cpu,
  {
    name: 'cuda',
    compiled: true,
    available: true,
    driverVersion: 13000,
    runtimeVersion: 13000,
    devices: [gpu(0), gpu(1)],
  },
];
const noDriver: BackendInfo[] = [
  cpu,
  {
    name: 'cuda',
    compiled: true,
    available: false,
    reason: 'no CUDA driver',
    driverVersion: 0,
    runtimeVersion: 13000,
    devices: [],
  },
];

describe('replica placements', () => {
  it('asks for nothing special without cudaDevices or cpuReplicas', () => {
    expect(replicaPlacements({ device: 'cuda', cudaDevice: 1 }, twoGpus)).toBeUndefined();
  });

  it("places one replica per listed GPU, or on every GPU for 'all'", () => {
    expect(replicaPlacements({ cudaDevices: [1, 0] }, twoGpus)).toEqual([
      { device: 'cuda', cudaDevice: 1 },
      { device: 'cuda', cudaDevice: 0 },
    ]);
    expect(replicaPlacements({ device: 'cuda', cudaDevices: 'all' }, twoGpus)).toHaveLength(2);
  });

  it('refuses unknown, duplicate and malformed GPU indices, naming what exists', () => {
    expect(() => replicaPlacements({ cudaDevices: [0, 2] }, twoGpus)).toThrow(
      /GPU 2 does not exist here \(this machine has GPU 0, 1\)/,
    );
    expect(() => replicaPlacements({ cudaDevices: [1, 1] }, twoGpus)).toThrow(/lists GPU 1 twice/);
    for (const bad of [[], [-1], [0.5], 'some'] as unknown as number[][])
      expect(() => replicaPlacements({ cudaDevices: bad }, twoGpus)).toThrow(InvalidArgumentError);
  });

  it('refuses conflicting options', () => {
    expect(() => replicaPlacements({ cudaDevices: [0], cudaDevice: 0 }, twoGpus)).toThrow(/not both/);
    expect(() => replicaPlacements({ cudaDevices: [0], cpuReplicas: 2 }, twoGpus)).toThrow(/not both/);
    expect(() => replicaPlacements({ cudaDevices: [0], device: 'cpu' }, twoGpus)).toThrow(
      /needs device 'cuda'/,
    );
    expect(() => replicaPlacements({ cpuReplicas: 2, device: 'cuda' }, twoGpus)).toThrow(
      /needs device 'cpu'/,
    );
  });

  it('says why when GPUs are asked for where CUDA cannot run', () => {
    expect(() => replicaPlacements({ cudaDevices: 'all' }, noDriver)).toThrow(UnsupportedError);
    expect(() => replicaPlacements({ cudaDevices: 'all' }, noDriver)).toThrow(
      /not available here: no CUDA driver/,
    );
    expect(() => replicaPlacements({ cudaDevices: [0] }, [cpu])).toThrow(/this binary has no CUDA backend/);
  });

  it('shares the cores out among CPU replicas unless threads says otherwise', () => {
    expect(replicaPlacements({ device: 'cpu', cpuReplicas: 3 }, twoGpus)).toEqual(
      Array(3).fill({ device: 'cpu', threads: 5 }),
    );
    expect(replicaPlacements({ device: 'cpu', cpuReplicas: 2, threads: 1 }, twoGpus)).toEqual(
      Array(2).fill({ device: 'cpu', threads: 1 }),
    );
    expect(() => replicaPlacements({ device: 'cpu', cpuReplicas: 0 }, twoGpus)).toThrow(InvalidArgumentError);
  });
});
