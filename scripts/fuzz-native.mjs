// Builds the native libFuzzer targets (test/fuzz/native/*_fuzz.cc) with clang
// -fsanitize=fuzzer,address,undefined into build-fuzz/, replays every kept regression input
// (test/fuzz/native/regressions/<target>/), then fuzzes each target for a bounded time from its
// committed seed corpus (test/fuzz/native/corpus/<target>/). Any crash, leak or sanitizer report
// fails the run (exit 1) and names the input libFuzzer saved.
//
//   node scripts/fuzz-native.mjs                 # every target, VL2_FUZZ_SECONDS (default 30) each
//   node scripts/fuzz-native.mjs --seconds 600 sampler
//   node scripts/fuzz-native.mjs --merge         # also fold new coverage into the committed seeds
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Each target's source and the engine files it links (no Node-API, no backend). */
const targets = {
  weight_store: ['native/core/weight_store.cc', 'native/core/mapped_file.cc'],
  sampler: ['native/engine/sampler.cc', 'native/backend/sampling.cc'],
};

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const secondsIndex = args.indexOf('--seconds');
const seconds = Number(secondsIndex >= 0 ? args[secondsIndex + 1] : (process.env.VL2_FUZZ_SECONDS ?? 30));
const chosen = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--seconds');
const names = chosen.length > 0 ? chosen : Object.keys(targets);
const compiler = process.env.VL2_FUZZ_CXX ?? 'clang++';

function die(message) {
  console.error(`fuzz-native: FAILED: ${message}`);
  process.exit(1);
}

for (const name of names) if (!targets[name]) die(`no target ${name} (${Object.keys(targets).join(', ')})`);
if (spawnSync(compiler, ['--version']).status !== 0) {
  die(
    `${compiler} not found. The native fuzz targets need clang with libFuzzer and the sanitizer ` +
      'runtimes: on Debian 12 `apt-get install -y clang libclang-rt-14-dev` (.ci/run installs them).',
  );
}

const out = 'build-fuzz';
mkdirSync(join(out, 'artifacts'), { recursive: true });
const summary = [];
for (const name of names) {
  const binary = join(out, `${name}_fuzz`);
  const build = spawnSync(
    compiler,
    [
      '-std=c++17',
      '-g',
      '-O1',
      '-fsanitize=fuzzer,address,undefined',
      '-fno-sanitize-recover=all',
      '-fno-omit-frame-pointer',
      '-Inative',
      `test/fuzz/native/${name}_fuzz.cc`,
      ...targets[name],
      '-o',
      binary,
    ],
    { stdio: 'inherit' },
  );
  if (build.status !== 0) {
    die(
      `building ${name}_fuzz failed (needs libFuzzer: on Debian 12 \`apt-get install -y clang libclang-rt-14-dev\`)`,
    );
  }
  const env = { ...process.env, UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' };
  const regressions = join('test/fuzz/native/regressions', name);
  const kept = existsSync(regressions) ? readdirSync(regressions).map((f) => join(regressions, f)) : [];
  if (kept.length > 0) {
    const replay = spawnSync(binary, kept, { stdio: 'inherit', env });
    if (replay.status !== 0) die(`${name}: a kept regression input fails again (${regressions})`);
  }
  const seeds = join('test/fuzz/native/corpus', name);
  const scratch = join(out, 'corpus', name);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const run = spawnSync(
    binary,
    [
      `-max_total_time=${seconds}`,
      '-timeout=10',
      '-rss_limit_mb=2048',
      '-print_final_stats=1',
      `-artifact_prefix=${join(out, 'artifacts', `${name}-`)}`,
      scratch,
      seeds,
    ],
    { encoding: 'utf8', env },
  );
  process.stderr.write(run.stderr.split('\n').slice(-40).join('\n'));
  const executions = /stat::number_of_executed_units:\s*(\d+)/.exec(run.stderr)?.[1] ?? '?';
  if (run.status !== 0) {
    const artifact = /Test unit written to (\S+)/.exec(run.stderr)?.[1];
    die(
      `${name}: libFuzzer stopped with exit ${run.status} after ${executions} executions` +
        (artifact
          ? `; the input is ${artifact}: fix the code, then keep it in ${regressions}/`
          : ' (see above)'),
    );
  }
  if (flag('--merge')) {
    spawnSync(binary, ['-merge=1', seeds, scratch], { stdio: 'inherit', env });
  }
  summary.push(
    `${name}: ${executions} executions in ${seconds} s, ${kept.length} regression inputs, no reports`,
  );
}
for (const line of summary) console.log(`fuzz-native: ${line}`);
