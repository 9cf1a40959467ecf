// Checks that dependencies run one way, so the tree keeps the architecture it shows
// (docs/ARCHITECTURE.md):
// - native/: a file includes only its own folder's layer or a lower one, in the order
//   napi -> engine -> model -> backend | image | grammar -> core; the CPU and CUDA backends never include
//   each other, and the backend interface (native/backend/*) includes neither, except
//   backend_factory.cc, the one place either backend is made (the CUDA one through cuda_face/, its
//   declarations, which a build without CUDA answers). Above native/backend/, only the interface
//   and the factory are reached (napi's device listing and probes may also call cuda_face/):
//   native/model/ names a device, never a backend.
// - lib/: no import cycles between TypeScript modules, and no `as unknown as`: the addon is typed
//   whole in lib/engine/ (addon.ts, native-types.ts), so a double cast there would hide a binding
//   that the types do not describe (and lib/ has no other use for one). In test/ and bench/ too,
//   the addon itself is never cast that way (stand-ins and fuzzed values may be).
// Exits 1 with one line per violation.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const layerRank = { core: 0, backend: 1, image: 1, grammar: 1, model: 2, engine: 3, napi: 4 };
const problems = [];
// Binding files that may call the CUDA face directly: the device listing and the probes.
const faceCallers = new Set([
  join('native', 'napi', 'backends.cc'),
  join('native', 'napi', 'probes_binding.cc'),
]);
// The probe that runs the CPU backend's GEMM kernels alone, for their tests and bench.
const cpuKernelProbe = join('native', 'napi', 'cpu_kernel_probes.cc');

function filesUnder(folder, pattern) {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

// "backend/cuda/gemm/x.h" -> { top: 'backend', backend: 'cuda' }
function place(path) {
  const parts = path.split('/');
  return { top: parts[0], backend: parts[0] === 'backend' && parts.length > 2 ? parts[1] : undefined };
}

for (const file of filesUnder('native', /\.(cc|h|cu|cuh)$/)) {
  const from = place(relative('native', file));
  if (!(from.top in layerRank)) {
    problems.push(`${file}: folder native/${from.top} has no layer in scripts/check-layers.mjs`);
    continue;
  }
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    const match = /^\s*#\s*include\s+"([^"]+)"/.exec(line);
    if (!match) continue;
    const to = place(match[1]);
    const where = `${file}:${index + 1}: includes "${match[1]}"`;
    if (!(to.top in layerRank)) problems.push(`${where}, outside the layered folders`);
    else if (to.top !== from.top && layerRank[to.top] >= layerRank[from.top])
      problems.push(`${where}: native/${from.top} may not include native/${to.top} (layers run one way)`);
    else if (
      from.top !== 'backend' &&
      to.top === 'backend' &&
      to.backend &&
      !(to.backend === 'cuda_face' && faceCallers.has(file)) &&
      !(to.backend === 'cpu' && file === cpuKernelProbe)
    )
      problems.push(
        `${where}: native/${from.top} reaches a backend only through the interface and backend_factory.h` +
          ` (cuda_face/ only from ${[...faceCallers].join(' and ')}; cpu/ only from ${cpuKernelProbe})`,
      );
    else if (from.top === 'backend' && to.top === 'backend' && to.backend && from.backend !== to.backend) {
      // The factory makes either backend; the CUDA backend implements its own face.
      const factory = file === join('native', 'backend', 'backend_factory.cc');
      const implementsFace = from.backend === 'cuda' && to.backend === 'cuda_face';
      if (!factory && !implementsFace)
        problems.push(
          from.backend
            ? `${where}: the ${from.backend} backend may not include the ${to.backend} backend`
            : `${where}: the backend interface may not include a backend's internals (only backend_factory.cc makes them)`,
        );
    }
  }
}

// lib/: depth-first search over relative imports.
const modules = new Map();
for (const file of filesUnder('lib', /\.ts$/)) {
  const source = readFileSync(file, 'utf8');
  const imports = [...source.matchAll(/(?:import|export)[^'"]*from\s+'(\.[^']+)'/g)].map((m) =>
    normalize(join(dirname(file), m[1].replace(/\.js$/, '.ts'))),
  );
  modules.set(normalize(file), imports);
}
const state = new Map(); // 1: on the current path, 2: done
function visit(file, path) {
  if (state.get(file) === 2) return;
  if (state.get(file) === 1) {
    problems.push(`import cycle: ${[...path.slice(path.indexOf(file)), file].join(' -> ')}`);
    return;
  }
  state.set(file, 1);
  for (const next of modules.get(file) ?? []) if (modules.has(next)) visit(next, [...path, file]);
  state.set(file, 2);
}
for (const file of modules.keys()) visit(file, []);

for (const file of modules.keys()) {
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(/\bas\s+unknown\s+as\b/g)) {
    const line = source.slice(0, match.index).split('\n').length;
    problems.push(
      `${file}:${line}: 'as unknown as' in lib/ (type the value where it comes from; the addon in lib/engine/)`,
    );
  }
}

for (const file of [...filesUnder('test', /\.ts$/), ...filesUnder('bench', /\.ts$/)]) {
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(/nativeAddon\(\)\s*as\s+unknown\b/g)) {
    const line = source.slice(0, match.index).split('\n').length;
    problems.push(
      `${file}:${line}: the addon cast 'as unknown' (its type is lib/engine/addon.ts's NativeAddon)`,
    );
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  console.error(`check-layers: ${problems.length} violations`);
  process.exit(1);
}
