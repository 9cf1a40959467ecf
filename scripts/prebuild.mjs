// Makes a Node-API prebuild (prebuilds/<platform>-<arch>/*.node) with prebuildify.
// prebuildify drives node-gyp; we point it at a wrapper that compiles with
// cmake-js instead, reusing build/ when it is current.
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const wrapper = resolve('scripts/cmake-js-as-node-gyp.sh');
chmodSync(wrapper, 0o755);
const prebuildify = require.resolve('prebuildify/bin.js');
const result = spawnSync(process.execPath, [prebuildify, '--napi', '--strip', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, PREBUILD_NODE_GYP: wrapper },
});
process.exit(result.status ?? 1);
