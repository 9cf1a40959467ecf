/**
 * The golden cases on the GPU, judged by the bf16 tolerances (golden README). Runs wherever a
 * CUDA device is present (the GPU machine runs the same checks through test/cuda/run-golden-check);
 * on a machine without one it is skipped and says so.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../../lib/backends.js';
import { checkVariant, passed } from '../support/bf16-golden-check.js';
import { modelVariants } from '../support/golden.js';

const cuda = backends().find((b) => b.name === 'cuda');

describe.skipIf(!cuda?.available)('golden cases on CUDA (bf16 tolerances)', () => {
  it.each(modelVariants)('%s: logits, top-1 in top-3, greedy tokens', async (variant) => {
    const lines = await checkVariant(variant, 'cuda');
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.filter((line) => !passed(line))).toEqual([]);
  });
});
