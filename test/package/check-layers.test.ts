/**
 * scripts/check-layers.mjs holds the architecture's lines (docs/ARCHITECTURE.md): each case builds
 * a small tree in a temporary folder with one include or import and runs the script there, so a
 * rule that is undone fails here.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = resolve(import.meta.dirname, '..', '..', 'scripts', 'check-layers.mjs');
let root: string | undefined;

/** Runs the script over a tree of `files` (path -> text); returns its exit status and stderr. */
function checkTree(files: Record<string, string>): { status: number | null; stderr: string } {
  root = mkdtempSync(join(tmpdir(), 'vl2-layers-'));
  for (const folder of ['native', 'lib', 'test', 'bench']) mkdirSync(join(root, folder));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const run = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr };
}

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('check-layers', () => {
  it('accepts the model layer reaching backends through the factory', () => {
    const result = checkTree({
      'native/model/model.cc': '#include "backend/backend_factory.h"\n#include "backend/backend.h"\n',
      'native/backend/backend_factory.cc':
        '#include "backend/cpu/model/cpu_backend.h"\n#include "backend/cuda_face/cuda_backend.h"\n',
      'native/backend/cuda/model/cuda_backend.cu': '#include "backend/cuda_face/cuda_backend.h"\n',
      'native/napi/probes_binding.cc': '#include "backend/cuda_face/cuda_upload.h"\n',
      'native/napi/cpu_kernel_probes.cc': '#include "backend/cpu/matmul.h"\n',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each([
    [
      'native/model/model.cc',
      'backend/cpu/model/cpu_backend.h',
      'only through the interface and backend_factory.h',
    ],
    [
      'native/model/model.cc',
      'backend/cuda_face/cuda_backend.h',
      'only through the interface and backend_factory.h',
    ],
    ['native/napi/model_binding.cc', 'backend/cpu/matmul.h', 'only through the interface'],
    ['native/napi/model_binding.cc', 'backend/cuda_face/cuda_upload.h', 'cuda_face/ only from'],
    ['native/backend/sampling.cc', 'backend/cpu/matmul.h', "may not include a backend's internals"],
    [
      'native/backend/cpu/model/cpu_backend.cc',
      'backend/cuda_face/cuda_backend.h',
      'may not include the cuda_face',
    ],
    ['native/backend/cuda/gemm/gemm.cu', 'backend/cpu/matmul.h', 'may not include the cpu backend'],
    ['native/model/model.cc', 'engine/scheduler.h', 'layers run one way'],
  ])('refuses %s including "%s"', (file, include, message) => {
    const result = checkTree({ [file]: `#include "${include}"\n` });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it("refuses the addon cast 'as unknown as' in lib/", () => {
    const result = checkTree({ 'lib/engine/x.ts': 'export const y = 1 as unknown as string;\n' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("'as unknown as' in lib/");
  });
});
