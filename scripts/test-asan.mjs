// Runs the native engine's tests against an AddressSanitizer + UBSan build of the addon
// (build-asan/, CMake option VL2_SANITIZE, CPU backend), with LeakSanitizer on. Node is not
// instrumented, so the ASan runtime is preloaded (LD_PRELOAD of the compiler's libasan) and the
// addon is named by VL2_NATIVE_ADDON (lib/engine/addon.ts), so no other binary can be picked up by mistake.
// Every ASan/UBSan report is fatal (-fno-sanitize-recover=all, halt_on_error): it kills the process.
//
// Leaks (docs/RELIABILITY.md section 2): every test file ends with a LeakSanitizer check inside its
// vitest worker (test/asan/vitest.config.ts -> leak-check.setup.ts -> lsan-check.c) that fails the
// file in vitest's report. LSan's usual check at exit is off (leak_check_at_exit=0): vitest stops a
// worker with SIGTERM, then SIGKILL, and ignores its exit status, so that check would never run
// there; and at the exit of the CLI processes the tests spawn, LSan's thread-suspending tracer
// crashed (signal 11) once in a full run, which would make the run flaky. Every sanitizer report
// of every process goes to one log folder (ASan log_path); the run fails if any file there holds
// one. test/asan/lsan.supp names the V8 allocations that are suppressed and why. Before the tests,
// the script refuses any suppression that matches the addon's own file, sources or symbols, and a
// probe proves that a leak on each path addon code allocates on is still reported and fails.
//
//   node scripts/test-asan.mjs   # the tests in defaultTests below
//   node scripts/test-asan.mjs test/engine/x.test.ts
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const addon = 'build-asan/Release/deepseek_vl2.node';
const compiler = process.env.CXX ?? 'c++';
const cCompiler = process.env.CC ?? 'cc';
const suppressions = resolve('test/asan/lsan.supp');
const vitestConfig = 'test/asan/vitest.config.ts';

function die(message) {
  console.error(`test-asan: FAILED: ${message}`);
  process.exit(1);
}

const build = spawnSync(
  'npx',
  ['cmake-js', 'compile', '--out', 'build-asan', '--CDVL2_CUDA=OFF', '--CDVL2_SANITIZE=ON'],
  { stdio: 'inherit' },
);
if (build.status !== 0 || !existsSync(addon)) die('building the sanitizer addon (build-asan/) failed');

// The two small addons of test/asan/: the leak check every test file ends with, and the probe that
// leaks on purpose. Not sanitized themselves: LSan sees their allocations through the preloaded
// runtime's malloc, as it sees the addon's.
const napiInclude = createRequire(import.meta.url)('node-api-headers').include_dir;
function buildHelper(name) {
  const out = `build-asan/${name}.node`;
  const cc = spawnSync(
    cCompiler,
    [
      '-shared',
      '-fPIC',
      '-g',
      '-O0',
      '-Wall',
      '-Werror',
      `-I${napiInclude}`,
      `test/asan/${name}.c`,
      '-o',
      out,
      '-lpthread',
    ],
    { stdio: 'inherit' },
  );
  if (cc.status !== 0) die(`building test/asan/${name}.c failed`);
  return resolve(out);
}
const leakCheckAddon = buildHelper('lsan-check');
const leakProbeAddon = buildHelper('lsan-probe');

// The runtime the addon was linked against: the same compiler's libasan.
const libasan = spawnSync(compiler, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout?.trim();
if (!libasan || !existsSync(libasan)) {
  die(`${compiler} -print-file-name=libasan.so found no ASan runtime (on Debian: apt-get install -y g++)`);
}

/** The environment of a sanitized run whose reports all land in a fresh folder. */
function sanitizerEnv(label) {
  const logDir = mkdtempSync(join(tmpdir(), `vl2-asan-${label}-`));
  const logPath = join(logDir, 'report');
  return {
    logDir,
    env: {
      ...process.env,
      LD_PRELOAD: libasan,
      VL2_NATIVE_ADDON: addon,
      VL2_LSAN_CHECK_ADDON: leakCheckAddon,
      VL2_LSAN_LOG_DIR: logDir,
      ASAN_OPTIONS: `detect_leaks=1:leak_check_at_exit=0:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1:log_path=${logPath}`,
      LSAN_OPTIONS: `suppressions=${suppressions}:print_suppressions=1`,
      UBSAN_OPTIONS: `halt_on_error=1:print_stacktrace=1:log_path=${logPath}`,
    },
  };
}

// What print_suppressions=1 writes at each check (its only output when nothing leaked).
const suppressionTable =
  /^-+\nSuppressions used:\n\s+count\s+bytes\s+template\n(?:\s+\d+\s+\d+\s+\S+\n)*-+\n?/m;

/**
 * The sanitizer output in a log folder: every file but those that only list the suppressions used
 * (an ASan, UBSan or LSan report, or LSan's own fatal error).
 */
function reportsIn(logDir) {
  return readdirSync(logDir)
    .map((file) => ({ file: join(logDir, file), text: readFileSync(join(logDir, file), 'utf8') }))
    .filter(({ text }) => text.replace(suppressionTable, '').trim() !== '');
}

/** How many allocations each suppression hid, summed over every process of a run. */
function suppressionCounts(logDir) {
  const counts = new Map();
  for (const file of readdirSync(logDir)) {
    const text = readFileSync(join(logDir, file), 'utf8');
    for (const [, count, template] of text.matchAll(/^\s+(\d+)\s+\d+\s+(\S+)$/gm)) {
      counts.set(template, (counts.get(template) ?? 0) + Number(count));
    }
  }
  return counts;
}

// The byte counts test/asan/lsan-probe.c leaks: on a JavaScript call, a libuv pool thread, a thread
// of its own.
const probeLeaks = [7001, 7002, 7003];
function requireProbeLeaks(probe, logDir, status) {
  if (status === 0) die(`${probe}: exited 0 although it leaked`);
  const text = reportsIn(logDir)
    .map(({ text }) => text)
    .join('\n');
  const missing = probeLeaks.filter((bytes) => !text.includes(`Direct leak of ${bytes} byte(s)`));
  if (missing.length > 0) {
    die(
      `${probe}: LeakSanitizer did not report the leak(s) of ${missing.join(', ')} bytes (reports in ${logDir})`,
    );
  }
  console.log(
    `test-asan: ${probe}: LSan reported all ${probeLeaks.length} leaks and the run failed (status ${status})`,
  );
}

// No suppression may match a frame of the addon: its file, a source file under native/, or any
// function it defines (LSan matches a pattern as a substring, with * and the anchors ^ and $). The
// probe below covers the frames the addon shares with node; this covers the addon's own.
{
  const patterns = readFileSync(suppressions, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('leak:'))
    .map((line) => line.slice('leak:'.length));
  const symbols = spawnSync('nm', ['-C', '--defined-only', addon], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (symbols.status !== 0) die(`nm could not list the addon's symbols:\n${symbols.stderr}`);
  const ours = [
    resolve(addon),
    ...readdirSync('native', { recursive: true }).map((file) => resolve('native', file)),
    ...symbols.stdout.split('\n').map((line) => line.replace(/^\S*\s+\S\s+/, '')),
  ].filter((name) => name !== '');
  for (const pattern of patterns) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')
      .replace(/^\\\^/, '^')
      .replace(/\\\$$/, '$');
    const match = ours.find((name) => new RegExp(source).test(name));
    if (match) die(`test/asan/lsan.supp: leak:${pattern} matches the addon's own ${match}`);
  }
  console.log(
    `test-asan: ${patterns.length} suppressions, none matching the addon (${ours.length} files and symbols)`,
  );
}

// Proof that the preloaded runtime and the sanitized addon are the ones in use.
{
  const { env } = sanitizerEnv('load');
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      "const a = require(require('path').resolve(process.env.VL2_NATIVE_ADDON)); " +
        "const maps = require('fs').readFileSync('/proc/self/maps', 'utf8'); " +
        "if (!/libasan/.test(maps)) throw new Error('libasan is not mapped'); console.log(a.version())",
    ],
    { env, encoding: 'utf8' },
  );
  if (probe.status !== 0)
    die(`the sanitizer addon does not load under LD_PRELOAD=${libasan}:\n${probe.stderr}`);
  console.log(`test-asan: addon ${addon} (version ${probe.stdout.trim()}) with ${libasan}`);
}

// Proof that a leak in addon code is reported under these options and suppressions, inside a vitest
// worker, and fails the run.
{
  const { env, logDir } = sanitizerEnv('probe-vitest');
  const run = spawnSync('npx', ['vitest', 'run', '--config', vitestConfig, 'test/asan/lsan-probe.test.ts'], {
    env: { ...env, VL2_LSAN_PROBE_ADDON: leakProbeAddon },
    encoding: 'utf8',
  });
  if (!/Test Files\s+\S*\s*1 failed/.test(stripVTControlCharacters(run.stdout))) {
    die(`leak probe in a vitest worker: vitest did not fail the probe's test file:\n${run.stdout}`);
  }
  requireProbeLeaks('leak probe in a vitest worker', logDir, run.status);
}

const tests = process.argv.slice(2);
// The tests that drive native code hardest: every golden forward pass, the engine API, generation
// (scheduler, sampling, cancellation, close), the native image resampling and tiling (processor),
// arbitrary input at the N-API boundary, through the image decoder and through the server; the
// request storm, the HTTP server, replicas over several engines, and the queue worker's CLI
// processes (these need redis-server).
const defaultTests = [
  'test/golden',
  'test/engine',
  'test/generation',
  'test/processor',
  'test/fuzz/native-boundary.test.ts',
  'test/fuzz/image.test.ts',
  'test/fuzz/server-bodies.test.ts',
  'test/reliability/storm.test.ts',
  'test/server',
  'test/replicas',
  'test/cli/worker.test.ts',
];
const { env, logDir } = sanitizerEnv('tests');
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--config', vitestConfig, ...(tests.length > 0 ? tests : defaultTests)],
  { stdio: 'inherit', env },
);
const reports = reportsIn(logDir);
for (const { file, text } of reports) console.error(`test-asan: report ${file}:\n${text}`);
const suppressed = [...suppressionCounts(logDir)].map(([template, count]) => `${template} ${count}`);
console.log(
  `test-asan: suppressed allocations (test/asan/lsan.supp), all processes: ${suppressed.join(', ') || 'none'}`,
);
if (reports.length > 0) die(`${reports.length} sanitizer report(s), above and in ${logDir}`);
if (run.status !== 0)
  die(
    `vitest exited ${run.status ?? run.signal} under ASan/UBSan/LSan (a sanitizer report aborts its process)`,
  );
console.log('test-asan: every test passed with 0 sanitizer reports (ASan, UBSan, LSan)');
