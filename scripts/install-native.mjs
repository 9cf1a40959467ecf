// npm install hook: use the prebuild (or an existing local build) when one loads
// here; otherwise compile the addon from source with cmake-js. node-gyp-build's
// own CLI always ends in `node-gyp rebuild`, which does not apply to a CMake build.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function loadsAlready() {
  if (process.env.VL2_BUILD_FROM_SOURCE) return false;
  try {
    require('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

if (!loadsAlready()) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error(
      'deepseek-vl2: building the native addon failed. It needs CMake >= 3.18 and a C++17 compiler ' +
        '(nvcc adds the CUDA backend); see the README section "Building with or without CUDA".',
    );
    process.exit(result.status ?? 1);
  }
}
