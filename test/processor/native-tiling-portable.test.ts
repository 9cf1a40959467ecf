/**
 * Native tiling on the portable kernels (what a CPU without AVX2 runs) against the TypeScript oracle.
 * Its own process (vitest forks): VL2_CPU_KERNELS=portable is set before the addon picks its kernels.
 */
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../../lib/engine/addon.js';
import { nativeMatchesReference } from '../support/native-tiling-cases.js';

process.env.VL2_CPU_KERNELS = 'portable';

describe('native tiling, portable kernels', () => {
  it('runs the portable kernels', () => expect(nativeAddon().imageKernels()).toBe('portable'));
  nativeMatchesReference();
});
