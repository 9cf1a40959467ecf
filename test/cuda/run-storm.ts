/**
 * The request storm as a plain script (test/support/storm.ts), for the GPU machine:
 *   node out/test/cuda/run-storm.js --device cuda --requests 10000 [--concurrency 256]
 *     [--cache-tokens 4096] [--variant tiny|small|base] [--seed 1] [--deadline-s 1800] [--exit-deadline-s 2100]
 * Prints the report; exits 1 when any check fails, and exits 1 with a message naming what still holds
 * the event loop when the whole run passes --exit-deadline-s (default: the storm's deadline plus 5
 * minutes) or when it has not exited on its own 60 s after the report. It goes through the processor,
 * so stage it with those modules (checked from a copy outside the repository):
 *   bash scripts/stage-device.sh sharp @img detect-libc semver @huggingface gearhash-jit
 * and give the golden fixtures with VL2_GOLDEN_DIR as for run-golden-check.js.
 */
import { describeStorm, runStorm } from '../support/storm.js';

const args = process.argv.slice(2);
const value = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const number = (flag: string, fallback: number) => Number(value(flag) ?? fallback);
const device = (value('--device') ?? 'cuda') as 'cpu' | 'cuda';
const deadlineS = number('--deadline-s', 1800);

/** Exits 1, loudly, if the process is still alive after `seconds`; unref'd, so it holds nothing open itself. */
function failAfter(seconds: number, what: string): void {
  setTimeout(() => {
    console.error(
      `run-storm: FAILED: ${what} after ${seconds} s; still open: ${process.getActiveResourcesInfo().join(', ') || 'no libuv handle (a native thread?)'}`,
    );
    process.exit(1);
  }, seconds * 1000).unref();
}

failAfter(number('--exit-deadline-s', deadlineS + 300), 'the run did not finish');
const report = await runStorm({
  device,
  variant: (value('--variant') ?? 'tiny') as 'tiny' | 'small' | 'base',
  requests: number('--requests', 10_000),
  concurrency: number('--concurrency', device === 'cuda' ? 256 : 32),
  cacheTokens: number('--cache-tokens', device === 'cuda' ? 4096 : 1024),
  seed: number('--seed', 1),
  deadlineMs: deadlineS * 1000,
  log: (line) => console.log(line),
});
for (const line of describeStorm(report)) console.log(line);
process.exitCode = Object.values(report.checks).every(Boolean) ? 0 : 1;
// Both models are closed and every timer cleared: nothing should keep the event loop alive now.
failAfter(60, 'the checks were printed but the process did not exit');
