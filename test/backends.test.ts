import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
