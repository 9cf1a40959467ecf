/**
 * The published package must work without a compiler: `npm pack` alone (its prepack hook makes this
 * platform's prebuild when prebuilds/ lacks a current one) gives a tarball with the binary; install
 * it into an empty project and load it from there. The install must not build anything.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const work = mkdtempSync(join(tmpdir(), 'vl2-pack-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack tarball', () => {
  it('carries a prebuild made by prepack, installs into an empty project from it and loads', () => {
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
    execFileSync(npm, ['install', '--no-audit', '--no-fund', join(work, filename)], {
      cwd: project,
      stdio: 'pipe',
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
  });
});
