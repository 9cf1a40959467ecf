/**
 * Every GPU check in one command, for a machine with an NVIDIA GPU (CI has none). Run it after any
 * change under native/backend/cuda:
 *   npm run test:gpu                                  # from a checkout with npm (runs through tsx)
 *   node out/test/cuda/check-all.js [--logs DIR] [--only name,name] [--golden-variants tiny,small,base]
 *     [--storm-requests N] [--storm-variant small] [--oom-variant small]
 *                                                     # on the staged device copy (scripts/stage-device.sh)
 * The variant options let a run carry only some golden models (a device call carries at most 64 MiB,
 * and the golden Tiny alone is 34 MB): the real-shape and sampler checks need none.
 * Each check runs as its own process (a crash or a hang fails that check only) under its own
 * deadline; its whole output goes to DIR/<name>.log (default gpu-check-logs/). Prints one summary
 * line per check, then one total line; exits 1 when any check failed or ran past its deadline.
 * The golden fixtures come from VL2_GOLDEN_DIR (or ../shared/golden), as for each script alone.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface GpuCheck {
  name: string;
  /** What it proves, printed beside its result. */
  what: string;
  script: string;
  args: string[];
  deadlineS: number;
}

const { values } = parseArgs({
  options: {
    logs: { type: 'string', default: 'gpu-check-logs' },
    only: { type: 'string' },
    'golden-variants': { type: 'string', default: 'tiny,small,base' },
    'storm-requests': { type: 'string', default: '10000' },
    // Small by default: the golden Tiny's storm needs the fixture tokenizer, which does not fit beside
    // that model in one device call (scripts/stage-golden.sh); Small also runs the MLA path.
    'storm-variant': { type: 'string', default: 'small' },
    'oom-variant': { type: 'string', default: 'small' },
  },
});

const checks: GpuCheck[] = [
  {
    name: 'golden-bf16',
    what: 'CUDA against the fp32 reference, every variant (prefill, decode, batched, scheduler)',
    script: 'run-golden-check',
    args: ['--device', 'cuda', ...String(values['golden-variants']).split(',')],
    deadlineS: 900,
  },
  {
    name: 'real-shapes',
    what: 'CUDA against the CPU backend at published widths, tuned kernels ran',
    script: 'run-real-shape-check',
    args: ['tiny', 'small', 'base'],
    deadlineS: 1200,
  },
  {
    name: 'sampler',
    what: 'the GPU sampler against the CPU sampler',
    script: 'run-sampler-check',
    args: [],
    deadlineS: 300,
  },
  {
    name: 'oom-faults',
    what: 'out of device memory at load and mid-step: typed error, memory returned',
    script: 'run-oom-faults',
    args: ['--variant', String(values['oom-variant'])],
    deadlineS: 600,
  },
  {
    name: 'structured',
    what: 'constrained answers through the GPU sampler masks: every one ends by itself and validates',
    script: 'run-structured-check',
    args: [String(values['storm-variant'])],
    deadlineS: 600,
  },
  {
    name: 'storm',
    what: 'requests, aborts, malformed input and close() under load; answers, memory',
    script: 'run-storm',
    args: [
      '--device',
      'cuda',
      '--variant',
      String(values['storm-variant']),
      '--requests',
      String(values['storm-requests']),
      '--deadline-s',
      '900',
    ],
    deadlineS: 1200,
  },
];

const here = dirname(fileURLToPath(import.meta.url));
// Compiled (.js on the device) or run from source through tsx (.ts): the siblings are the same kind.
const extension = extname(fileURLToPath(import.meta.url));
const nodeArgs = extension === '.ts' ? ['--import', 'tsx'] : [];

interface Outcome {
  status: 'ok' | 'FAIL' | 'TIMEOUT';
  seconds: number;
  failLines: number;
  detail: string;
}

function runCheck(check: GpuCheck, logPath: string): Promise<Outcome> {
  const started = Date.now();
  const log = createWriteStream(logPath);
  const child = spawn(process.execPath, [...nodeArgs, join(here, check.script + extension), ...check.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let failLines = 0;
  let lastLine = '';
  const take = (chunk: Buffer) => {
    log.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (/\bFAIL\b/.test(line)) failLines++;
      if (line.trim()) lastLine = line.trim();
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, check.deadlineS * 1000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      log.end();
      const seconds = (Date.now() - started) / 1000;
      if (timedOut) {
        resolve({ status: 'TIMEOUT', seconds, failLines, detail: `killed after ${check.deadlineS} s` });
        return;
      }
      const ok = code === 0 && failLines === 0;
      const exit = signal ? `signal ${signal}` : `exit ${code}`;
      resolve({
        status: ok ? 'ok' : 'FAIL',
        seconds,
        failLines,
        detail: `${exit}; last: ${lastLine.slice(0, 120)}`,
      });
    });
  });
}

const only = values.only?.split(',');
const unknown = only?.filter((name) => !checks.some((check) => check.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`no GPU check named ${unknown.join(', ')} (${checks.map((check) => check.name).join(', ')})`);
  process.exit(1);
}
const logs = String(values.logs);
mkdirSync(logs, { recursive: true });
let failed = 0;
for (const check of checks.filter((check) => !only || only.includes(check.name))) {
  const outcome = await runCheck(check, join(logs, `${check.name}.log`));
  if (outcome.status !== 'ok') failed++;
  console.log(
    `${outcome.status.padEnd(7)} ${check.name.padEnd(12)} ${outcome.seconds.toFixed(1).padStart(7)} s  ` +
      `${check.what} (${outcome.failLines} FAIL lines, ${outcome.detail})`,
  );
}
console.log(failed === 0 ? 'GPU checks: every check ok' : `GPU checks: ${failed} failed (logs in ${logs}/)`);
process.exitCode = failed === 0 ? 0 : 1;
