/**
 * The bf16 golden check as a plain script, for the GPU machine (no test runner there) and for
 * compute-sanitizer: `node run-golden-check.js [variant...] [--device cpu|cuda] [--cases N]
 * [--cpu-precision fp32|bf16]` (on the CPU, fp32 unless told).
 * Prints the worst value of every check per variant; exits 1 if any check fails.
 */

import type { CpuPrecision } from '../../lib/engine/native-types.js';
import { checkVariant, passed, worstByCheck } from '../support/bf16-golden-check.js';
import { type ModelVariant, modelVariants } from '../support/golden.js';

const args = process.argv.slice(2);
const deviceFlag = args.indexOf('--device');
const device = deviceFlag >= 0 ? (args[deviceFlag + 1] as 'cpu' | 'cuda') : 'cuda';
const casesFlag = args.indexOf('--cases');
const caseCount = casesFlag >= 0 ? Number(args[casesFlag + 1]) : undefined;
const precisionFlag = args.indexOf('--cpu-precision');
const cpuPrecision = precisionFlag >= 0 ? (args[precisionFlag + 1] as CpuPrecision) : undefined;
const variants = args.filter(
  (a, i) => (modelVariants as readonly string[]).includes(a) && args[i - 1] !== '--device',
);
let failures = 0;
for (const variant of (variants.length ? variants : modelVariants) as ModelVariant[]) {
  const started = Date.now();
  const lines = await checkVariant(variant, device, caseCount, cpuPrecision);
  const failed = lines.filter((line) => !passed(line));
  failures += failed.length;
  console.log(
    `${variant} on ${device}: ${lines.length} checks, ${failed.length} failed (${Date.now() - started} ms)`,
  );
  for (const line of worstByCheck(lines)) {
    console.log(
      `  ${passed(line) ? 'ok  ' : 'FAIL'} ${line.check.padEnd(40)} worst ${line.value.toPrecision(3).padStart(9)} (limit ${line.limit}) at ${line.where}`,
    );
  }
  for (const line of failed.slice(0, 10))
    console.log(`  FAIL ${line.where}: ${line.check} = ${line.value} > ${line.limit}`);
}
process.exitCode = failures ? 1 : 0;
