/**
 * CUDA against the CPU backend at the published widths (test/support/real-shape-check.ts): the tuned
 * kernels at real head sizes, judged by the bf16 rule. Runs wherever a CUDA device is present (the GPU
 * machine runs the same check through test/cuda/run-real-shape-check); skipped, and saying so, elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../../lib/backends.js';
import { passed } from '../support/bf16-golden-check.js';
import { checkRealShapes } from '../support/real-shape-check.js';

const cuda = backends().find((b) => b.name === 'cuda');

describe.skipIf(!cuda?.available)('CUDA against the CPU backend at real widths (bf16 rule)', () => {
  it.each(['tiny', 'small', 'base'] as const)(
    '%s: vision, projector, embeddings, every layer, logits; prefill, cached-prefix chunk, decode',
    async (variant) => {
      const report = await checkRealShapes(variant);
      expect(report.lines.length).toBeGreaterThan(100);
      expect(report.lines.filter((line) => !passed(line))).toEqual([]);
    },
    600_000,
  );
});
