/**
 * The structured-output check on the GPU (test/support/constrained-generation.ts): every answer of
 * every format, sampled at temperature 1 over many seeds through the GPU sampler's token masks, ends
 * by itself and validates.
 *   node run-structured-check.js [small|base|tiny ...] [--seeds 16]
 */

import { passed } from '../support/bf16-golden-check.js';
import { checkConstrainedGeneration } from '../support/constrained-generation.js';
import type { ModelVariant } from '../support/golden.js';

const args = process.argv.slice(2);
const seedsFlag = args.indexOf('--seeds');
const seeds = seedsFlag >= 0 ? Number(args[seedsFlag + 1]) : 16;
const all: ModelVariant[] = ['small', 'base', 'tiny'];
const chosen = args.filter((a): a is ModelVariant => (all as string[]).includes(a));
let failures = 0;
for (const variant of chosen.length ? chosen : ['small' as const]) {
  const lines = await checkConstrainedGeneration({ variant, device: 'cuda', seeds, log: console.log });
  for (const line of lines) {
    if (!passed(line)) failures++;
    console.log(
      `${passed(line) ? 'ok  ' : 'FAIL'} ${line.where.padEnd(56)} ${line.check} ${line.value} (limit ${line.limit})`,
    );
  }
}
process.exitCode = failures ? 1 : 0;
