// Prints the installed production-dependency closure of the named packages, one node_modules path
// per line (nested copies come with their parent folder), for staging a runnable package elsewhere.
//   usage: node scripts/module-closure.mjs fastify prom-client ...
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const seen = new Set();

function installedPath(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function visit(name, from) {
  const path = installedPath(name, from);
  if (!path || seen.has(path)) return;
  seen.add(path);
  const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
  for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }))
    visit(dependency, path);
}

for (const name of process.argv.slice(2)) visit(name, process.cwd());
const top = join(process.cwd(), 'node_modules');
for (const path of seen) {
  const name = relative(top, path);
  if (!name.includes('node_modules')) console.log(name);
}
