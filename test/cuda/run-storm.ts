/**
 * The request storm as a plain script (test/support/storm.ts), for the GPU machine:
 *   node out/test/cuda/run-storm.js --device cuda --requests 10000 [--concurrency 256]
 *     [--cache-tokens 4096] [--variant tiny|small|base] [--seed 1] [--deadline-s 1800]
 * Prints the report; exits 1 when any check fails. It goes through the processor, so stage it with
 * those modules (checked from a copy outside the repository):
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
const report = await runStorm({
  device,
  variant: (value('--variant') ?? 'tiny') as 'tiny' | 'small' | 'base',
  requests: number('--requests', 10_000),
  concurrency: number('--concurrency', device === 'cuda' ? 256 : 32),
  cacheTokens: number('--cache-tokens', device === 'cuda' ? 4096 : 1024),
  seed: number('--seed', 1),
  deadlineMs: number('--deadline-s', 1800) * 1000,
  log: (line) => console.log(line),
});
for (const line of describeStorm(report)) console.log(line);
process.exitCode = Object.values(report.checks).every(Boolean) ? 0 : 1;
