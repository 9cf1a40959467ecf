// Compiles lib/ twice: ESM into dist/esm and CommonJS into dist/cjs, each with
// .d.ts files and a package.json that tells Node which module system it holds.
// Then the web demo's browser code (lib/web/ and the shared lib/grounding-text.ts) into
// dist/browser as plain ES modules the browser loads one by one: tsc alone does it, with no bundler
// (esbuild is only tsx's dependency, not ours) and nothing for the browser to fetch from elsewhere;
// the page's HTML and CSS are copied beside them.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
run(['-p', 'tsconfig.web.json']);
cpSync('lib/web', 'dist/browser/web', { recursive: true, filter: (path) => !path.endsWith('.ts') });
