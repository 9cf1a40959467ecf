// npm pack / npm publish hook: every tarball carries a prebuild for the platform that packs it.
// Builds one (scripts/prebuild.mjs) when prebuilds/<platform>-<arch>/ has no binary, or when the
// native sources changed after it was made (a stale binary would ship old code). Prebuilds of other
// platforms already in prebuilds/ (collected from other machines, see README "Releasing") ship as they are.
// `--dry-run` prints the decision as JSON and builds nothing; VL2_SKIP_PREBUILD=1 packs without one.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = process.cwd(); // npm runs lifecycle scripts in the package root
const target = join('prebuilds', `${process.platform}-${process.arch}`);
const nativeSources = ['native', 'cmake', 'CMakeLists.txt'];

/** Newest modification time (ms) under a file or folder; 0 when absent. */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function decide() {
  if (process.env.VL2_SKIP_PREBUILD) return { build: false, reason: 'VL2_SKIP_PREBUILD is set' };
  const dir = join(root, target);
  const binaries = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.node')) : [];
  if (binaries.length === 0) return { build: true, reason: `${target} has no binary` };
  const built = Math.min(...binaries.map((name) => statSync(join(dir, name)).mtimeMs));
  const sources = Math.max(...nativeSources.map((path) => newestMtime(join(root, path))));
  if (sources > built) return { build: true, reason: `the native sources changed after ${target} was built` };
  return { build: false, reason: `${target} is current` };
}

const decision = decide();
if (process.argv.includes('--dry-run')) {
  console.log(JSON.stringify({ target, ...decision }));
} else {
  console.error(`prepack: ${decision.reason}${decision.build ? '; building it' : ''}`);
  if (decision.build) {
    // The build's output goes to stderr: `npm pack --json` prints its result on stdout.
    const result = spawnSync(process.execPath, [resolve(root, 'scripts/prebuild.mjs')], {
      cwd: root,
      stdio: ['inherit', 2, 2],
    });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}
