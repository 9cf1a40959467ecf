/**
 * What the structured-output tests compare grammars against: ajv (draft 2020-12, with
 * ajv-formats) for JSON Schema, and the reference recognizer plus the random walk over it.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
// mulberry32, seeded by fast-check, so a failing walk shrinks and replays.
import { seededRandom } from '../../bench/support/prompts.js';
import { ReferenceGrammar } from '../support/grammar-reference.js';
import { sampleGrammar } from '../support/grammar-sampler.js';

export { validator } from '../support/ajv.js';

/** Texts the grammar accepts, from a seed fast-check picks (so a failing seed is reported). */
export function forEachSample(grammar: ReferenceGrammar, runs: number, check: (text: string) => void): void {
  fc.assert(
    fc.property(fc.integer(), (seed) => {
      const text = sampleGrammar(grammar, seededRandom(seed));
      if (text !== undefined) check(text);
    }),
    { numRuns: runs },
  );
}

/** Runs `fn` and returns the ConstraintError it throws (failing the test when it does not throw). */
export function refusal(fn: () => unknown): {
  keyword?: string;
  path?: string;
  column?: number;
  code: string;
} {
  try {
    fn();
  } catch (error) {
    expect((error as { code?: string }).code).toBe('VL2_CONSTRAINT');
    return error as { keyword?: string; path?: string; column?: number; code: string };
  }
  throw new Error('expected a ConstraintError');
}

export { ReferenceGrammar };
