import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeBackends } from '../lib/cli/backends-command.js';
import { backends, nativeVersion } from '../lib/index.js';

const packageVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('native addon', () => {
  it('reports the package version', () => {
    expect(nativeVersion()).toBe(packageVersion);
  });

  it('always offers the CPU backend', () => {
    const cpu = backends().find((b) => b.name === 'cpu');
    expect(cpu).toMatchObject({ available: true, compiled: true });
    expect(cpu?.name === 'cpu' && cpu.threads).toBeGreaterThan(0);
  });

  it('names the CPU kernels of each precision, and vl2 backends prints them', () => {
    const cpu = backends().find((b) => b.name === 'cpu');
    if (cpu?.name !== 'cpu') throw new Error('the CPU entry is missing');
    expect(['avx2', 'portable']).toContain(cpu.kernels.fp32);
    expect([undefined, 'avx512-bf16']).toContain(cpu.kernels.bf16);
    // vitest.config.ts sets VL2_CPU_PRECISION=fp32, which the default must follow.
    expect(cpu.defaultPrecision).toBe('fp32');
    const text = describeBackends();
    expect(text).toContain(`kernels ${cpu.kernels.fp32} (cpuPrecision 'fp32' by default`);
    expect(text).toContain(
      cpu.kernels.bf16 ? "cpuPrecision 'bf16' runs avx512-bf16" : "no cpuPrecision 'bf16'",
    );
  });

  it('describes CUDA consistently: devices exactly when available, a reason otherwise', () => {
    const cuda = backends().find((b) => b.name === 'cuda');
    if (cuda?.name !== 'cuda') throw new Error('the CUDA entry is missing');
    if (cuda.available) {
      expect(cuda.devices.length).toBeGreaterThan(0);
      for (const d of cuda.devices) {
        expect(d.name.length).toBeGreaterThan(0);
        expect(d.totalMemoryBytes).toBeGreaterThan(0);
        expect(d.computeCapability).toMatch(/^\d+\.\d+$/);
      }
    } else {
      expect(cuda.devices).toEqual([]);
      expect(cuda.reason).toMatch(/\S/);
    }
  });
});
