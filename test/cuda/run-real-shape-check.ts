/**
 * The real-shape check (CUDA against the CPU backend at the published widths) as a plain script,
 * for the GPU machine and for compute-sanitizer:
 *   node run-real-shape-check.js [tiny|small|base ...] [--layers N] [--decode-batches 1,7,64]
 * Prints the worst value of every check per variant, the routing flips left out, and the kernel
 * launches; exits 1 if any check fails (a tuned kernel that did not run, a routing flip whose router
 * scores disagree or that was no near tie, or flips on more than 2% of the rows included).
 */
import type { VariantName } from '../../lib/synth/variants.js';
import { passed, worstByCheck } from '../support/bf16-golden-check.js';
import { checkRealShapes } from '../support/real-shape-check.js';

const args = process.argv.slice(2);
const layersFlag = args.indexOf('--layers');
const layers = layersFlag >= 0 ? Number(args[layersFlag + 1]) : 3;
const batchesFlag = args.indexOf('--decode-batches');
const decodeBatches =
  batchesFlag >= 0
    ? String(args[batchesFlag + 1])
        .split(',')
        .map(Number)
    : undefined;
const all: VariantName[] = ['tiny', 'small', 'base'];
const chosen = args.filter((a): a is VariantName => (all as string[]).includes(a));
let failures = 0;
for (const variant of chosen.length ? chosen : all) {
  const started = Date.now();
  const report = await checkRealShapes(variant, { layers, decodeBatches });
  const failed = report.lines.filter((line) => !passed(line));
  failures += failed.length;
  console.log(
    `${variant} (${layers} layers, real widths): ${report.lines.length} checks, ${failed.length} failed, ` +
      `${report.routingFlips.length} left out for routing flips (${Date.now() - started} ms)`,
  );
  for (const line of worstByCheck(report.lines)) {
    console.log(
      `  ${passed(line) ? 'ok  ' : 'FAIL'} ${line.check.padEnd(44)} worst ${line.value.toPrecision(3).padStart(9)} (limit ${line.limit}) at ${line.where}`,
    );
  }
  for (const line of failed.slice(0, 12)) console.log(`  FAIL ${line.where}: ${line.check} = ${line.value}`);
  const tally = report.routingTally;
  console.log(
    `  routing: ${tally.flipped} of ${tally.rows} rows routed differently somewhere (${tally.leftOut} of them left out)`,
  );
  for (const flip of report.routingFlips) console.log(`  routing flip: ${flip}`);
  console.log(
    `  kernels: ${Object.entries(report.launches)
      .map(([name, count]) => `${name} x${count}`)
      .join(', ')}`,
  );
}
process.exitCode = failures ? 1 : 0;
