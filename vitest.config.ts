import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Golden model tests run real forward passes on 2 CI cores.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Models load in the exact fp32 arithmetic unless a test asks for cpuPrecision 'bf16': the
    // golden checks at 1e-4 and every token-for-token comparison are fp32-mode checks.
    env: { VL2_CPU_PRECISION: 'fp32' },
    reporters: ['default'],
  },
});
