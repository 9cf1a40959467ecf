/**
 * What the structured-output tests compare grammars against: ajv (draft 2020-12, with
 * ajv-formats) for JSON Schema, and the reference recognizer plus the random walk over it.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { expect } from 'vitest';
// mulberry32, seeded by fast-check, so a failing walk shrinks and replays.
import { seededRandom } from '../../bench/support/prompts.js';
import { ReferenceGrammar } from '../support/grammar-reference.js';
import { sampleGrammar } from '../support/grammar-sampler.js';

const ajv = new Ajv2020({ strict: false });
addFormats.default(ajv);

export function validator(schema: unknown): (value: unknown) => boolean {
  const validate = ajv.compile(schema as object);
  return (value) => validate(value) as boolean;
}

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
