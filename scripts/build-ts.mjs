// Compiles lib/ twice: ESM into dist/esm and CommonJS into dist/cjs, each with
// .d.ts files and a package.json that tells Node which module system it holds.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
const run = (args) => execFileSync(process.execPath, [tsc, ...args], { stdio: 'inherit' });
run(['-p', 'tsconfig.json']);
run(['-p', 'tsconfig.json', '--module', 'CommonJS', '--moduleResolution', 'Node10', '--outDir', 'dist/cjs']);
for (const [dir, type] of [
  ['dist/esm', 'module'],
  ['dist/cjs', 'commonjs'],
]) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/package.json`, `${JSON.stringify({ type }, null, 2)}\n`);
}
