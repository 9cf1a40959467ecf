// Checks (or with --fix, rewrites) the formatting of native/ and the native fuzz targets with the clang-format
// binary that the clang-format npm package ships, so no system install is needed.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const clangFormat = join(require.resolve('clang-format/package.json'), '..', 'index.js');
const fix = process.argv.includes('--fix');
const sources = ['native', 'test/fuzz/native']
  .flatMap((folder) => readdirSync(folder, { recursive: true, withFileTypes: true }))
  .filter((entry) => entry.isFile() && /\.(cc|h|cu|cuh)$/.test(entry.name))
  .map((entry) => join(entry.parentPath, entry.name));
const args = fix ? ['-i', ...sources] : ['--dry-run', '--Werror', ...sources];
try {
  execFileSync(process.execPath, [clangFormat, '--style=file', ...args], { stdio: 'inherit' });
} catch {
  console.error('clang-format: native/ is not formatted; run `npm run format`');
  process.exit(1);
}
