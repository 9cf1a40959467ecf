// Runs the native engine's tests against an AddressSanitizer + UBSan build of the addon
// (build-asan/, CMake option VL2_SANITIZE, CPU backend). Node is not instrumented, so the ASan
// runtime is preloaded (LD_PRELOAD of the compiler's libasan) and the addon is named by
// VL2_NATIVE_ADDON (lib/native.ts), so no other binary can be picked up by mistake.
// Every report is fatal (-fno-sanitize-recover=all, halt_on_error): a report kills the test worker
// and vitest fails the run.
//
// Leak detection is off (detect_leaks=0): V8 and Node keep isolate-lifetime allocations that are
// never freed at exit, and LeakSanitizer reports them by the hundred with no frame of ours; our
// leaks are measured instead by the storm test's RSS bound (test/reliability/storm.test.ts).
//
//   node scripts/test-asan.mjs   # the tests in defaultTests below
//   node scripts/test-asan.mjs test/engine/x.test.ts
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const addon = 'build-asan/Release/deepseek_vl2.node';
const compiler = process.env.CXX ?? 'c++';

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

// The runtime the addon was linked against: the same compiler's libasan.
const libasan = spawnSync(compiler, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout?.trim();
if (!libasan || !existsSync(libasan)) {
  die(`${compiler} -print-file-name=libasan.so found no ASan runtime (on Debian: apt-get install -y g++)`);
}

const tests = process.argv.slice(2);
// The tests that drive native code hardest: every golden forward pass, the engine API, generation
// (scheduler, sampling, cancellation, close), the native image resampling and tiling (processor),
// and arbitrary input at the N-API boundary, through the image decoder and through the server.
const defaultTests = [
  'test/golden',
  'test/engine',
  'test/generation',
  'test/processor',
  'test/fuzz/native-boundary.test.ts',
  'test/fuzz/image.test.ts',
  'test/fuzz/server-bodies.test.ts',
];
const env = {
  ...process.env,
  LD_PRELOAD: libasan,
  VL2_NATIVE_ADDON: addon,
  ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};
// Proof that the preloaded runtime and the sanitized addon are the ones in use.
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

const run = spawnSync('npx', ['vitest', 'run', ...(tests.length > 0 ? tests : defaultTests)], {
  stdio: 'inherit',
  env,
});
if (run.status !== 0)
  die(`vitest exited ${run.status} under ASan/UBSan (a sanitizer report aborts its worker)`);
console.log('test-asan: every test passed with 0 sanitizer reports');
