/**
 * The published package must work without a compiler: `npm pack` alone (its prepack hook makes this
 * platform's prebuild when prebuilds/ lacks a current one) gives a tarball with the binary; install
 * it into an empty project and load it from there. The install must not build anything.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const work = mkdtempSync(join(tmpdir(), 'vl2-pack-'));
// npm's own script, run with node, so the install below can have a PATH without compilers.
const npmCli = realpathSync(execFileSync('sh', ['-c', `command -v ${npm}`], { encoding: 'utf8' }).trim());

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack tarball', () => {
  it('carries a prebuild made by prepack, installs with no compiler on PATH, loads and runs vl2 demo', () => {
    const packed = execFileSync(npm, ['pack', '--pack-destination', work, '--json'], {
      cwd: root,
      encoding: 'utf8',
    });
    const [{ filename, files }] = JSON.parse(packed.slice(packed.indexOf('['))) as [
      { filename: string; files: { path: string }[] },
    ];
    const paths = files.map((f) => f.path);
    const platform = `${process.platform}-${process.arch}`;
    expect(paths.some((p) => p.startsWith(`prebuilds/${platform}/`) && p.endsWith('.node'))).toBe(true);
    expect(paths).toContain('dist/esm/index.js');
    expect(paths).toContain('dist/cjs/index.js');
    // The web demo `vl2 serve` shows: its page and browser modules; the README's screenshot stays out.
    expect(paths).toContain('dist/browser/web/index.html');
    expect(paths).toContain('dist/browser/web/main.js');
    expect(paths).toContain('dist/browser/grounding-text.js');
    expect(paths).not.toContain('assets/web-demo.png');
    expect(paths.some((p) => p.startsWith('test/') || p.startsWith('node_modules/'))).toBe(false);

    const project = join(work, 'consumer');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    // No compiler on PATH (no cc, c++, cmake or nvcc): only node and the shell npm runs scripts with.
    const bin = join(work, 'bin-without-compilers');
    mkdirSync(bin);
    for (const tool of [process.execPath, '/bin/sh', '/usr/bin/env'])
      symlinkSync(tool, join(bin, basename(tool)));
    const noCompilers = { ...process.env, PATH: bin };
    for (const compiler of ['cc', 'c++', 'cmake', 'nvcc'])
      expect(spawnSync('sh', ['-c', `command -v ${compiler}`], { env: noCompilers }).status).not.toBe(0);
    execFileSync(process.execPath, [npmCli, 'install', '--no-audit', '--no-fund', join(work, filename)], {
      cwd: project,
      stdio: 'pipe',
      env: noCompilers,
    });

    const installed = join(project, 'node_modules', 'deepseek-vl2');
    expect(existsSync(join(installed, 'build'))).toBe(false); // loaded from the prebuild: nothing compiled
    const esm = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { backends } from 'deepseek-vl2'; console.log(JSON.stringify(backends()))",
      ],
      { cwd: project, encoding: 'utf8' },
    );
    expect((JSON.parse(esm) as { name: string }[]).map((b) => b.name)).toEqual(['cpu', 'cuda']);
    const cjs = execFileSync(
      process.execPath,
      ['-e', "console.log(require('deepseek-vl2').nativeVersion())"],
      {
        cwd: project,
        encoding: 'utf8',
      },
    );
    expect(cjs.trim()).toBe(
      execFileSync(process.execPath, ['-p', "require('./package.json').version"], {
        cwd: root,
        encoding: 'utf8',
      }).trim(),
    );
    expect(readdirSync(join(installed, 'prebuilds'))).toContain(platform);
    // The installed command runs the whole path (a random toy model, the bundled image) with no
    // compiler anywhere on PATH.
    const demo = execFileSync(join(project, 'node_modules', '.bin', 'vl2'), ['demo', '--max-tokens', '8'], {
      cwd: project,
      encoding: 'utf8',
      env: noCompilers,
    });
    expect(demo).toMatch(/demo \(small structure at toy width, random weights\): \d+ prompt tokens/);
  });
});
