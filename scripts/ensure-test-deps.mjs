// What `npm test` needs from the system besides Node and a C++ compiler, made present before any
// test runs (the `pretest` hook), so README's test command passes on a fresh machine:
//   - redis-server: the queue and worker tests start a real Redis (test/support/redis-server.ts);
//   - Chromium at /usr/bin/chromium (or VL2_CHROMIUM): the web demo's browser tests (test/web/browser.ts);
//   - clang++ with its libFuzzer and sanitizer runtimes: `npm run test:fuzz-native`.
// Missing pieces are installed with apt-get when running as root (as CI does); otherwise the script
// stops at once with the exact command to run, before the build and the tests spend any time.
//
//   node scripts/ensure-test-deps.mjs            # check, install what is missing (root), or stop
//   node scripts/ensure-test-deps.mjs --check    # check only: list what is missing, exit 1 if anything is
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const checkOnly = process.argv.includes('--check');

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', ...options });
}

function onPath(command) {
  return run('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** clang's major version, or undefined without clang (Debian names the runtime package by it). */
function clangMajor() {
  const version = run('clang++', ['--version']).stdout?.match(/clang version (\d+)/);
  return version ? Number(version[1]) : undefined;
}

function fuzzerRuntimePresent() {
  const resourceDir = run('clang++', ['-print-resource-dir']).stdout?.trim();
  return !!resourceDir && existsSync(join(resourceDir, 'lib/linux/libclang_rt.fuzzer-x86_64.a'));
}

const chromiumPath = process.env.VL2_CHROMIUM ?? '/usr/bin/chromium';

// Order matters: the fuzzer runtime's package name comes from the clang installed before it.
const needs = [
  {
    name: 'redis-server',
    usedBy: 'test/queue and test/cli/worker.test.ts (a real Redis)',
    present: () => onPath('redis-server'),
    packages: () => ['redis-server'],
  },
  {
    name: `Chromium (${chromiumPath})`,
    usedBy: "the web demo's browser tests (test/web)",
    present: () => existsSync(chromiumPath),
    packages: () => ['chromium'],
  },
  {
    name: 'clang++',
    usedBy: 'npm run test:fuzz-native (libFuzzer targets)',
    present: () => clangMajor() !== undefined,
    packages: () => ['clang'],
  },
  {
    name: "clang's libFuzzer runtime",
    usedBy: 'npm run test:fuzz-native',
    present: fuzzerRuntimePresent,
    packages: () => [`libclang-rt-${clangMajor() ?? 14}-dev`],
  },
];

function die(message) {
  console.error(`ensure-test-deps: ${message}`);
  process.exit(1);
}

const missing = needs.filter((need) => !need.present());
if (missing.length === 0) {
  console.log('ensure-test-deps: redis-server, Chromium, clang++ and its fuzzer runtime are present');
  process.exit(0);
}
const list = missing.map((need) => `  - ${need.name}: for ${need.usedBy}`).join('\n');
const isRoot = process.getuid?.() === 0;
const hasApt = onPath('apt-get');
if (checkOnly || !isRoot || !hasApt) {
  const packages = [...new Set(missing.flatMap((need) => need.packages()))].join(' ');
  const how = hasApt
    ? `run as root (CI does), or first: sudo apt-get update && sudo apt-get install -y ${packages}`
    : `install the Debian/Ubuntu packages ${packages} or their equivalents for this system`;
  die(
    `the tests need what this machine lacks:\n${list}\n${checkOnly ? 'To install: ' : 'Not installing: '}${how}`,
  );
}

console.log(`ensure-test-deps: installing what the tests need:\n${list}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = run('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
if (update.status !== 0) die(`apt-get update failed (exit ${update.status})`);
// One need at a time, in order, so each package name can depend on what came before it.
for (const need of missing) {
  if (need.present()) continue;
  const packages = need.packages();
  const install = run('apt-get', ['install', '-y', '-qq', ...packages], {
    stdio: 'inherit',
    env,
  });
  if (install.status !== 0 || !need.present())
    die(`apt-get install ${packages.join(' ')} did not provide ${need.name} (exit ${install.status})`);
  console.log(`ensure-test-deps: ${need.name} installed (${packages.join(' ')})`);
}
