/**
 * The web demo's files, read once when the server is created: the page and its modules and styles
 * from dist/browser (built by scripts/build-ts.mjs from lib/web/), and the example image from
 * assets/. Only the files found there are served, by exact path: no path from a request reaches the
 * file system.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { packageRoot } from '../../engine/addon.js';

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** URL path under /ui/ (e.g. 'web/main.js') -> file; source maps and declarations are left out. */
export function loadUiFiles(): Map<string, StaticFile> {
  const root = packageRoot();
  const built = join(root, 'dist', 'browser');
  if (!existsSync(join(built, 'web', 'index.html')))
    throw new Error(
      `the web demo is not built (no ${join(built, 'web', 'index.html')}): run \`npm run build:ts\` in the package folder, or serve without it (ui: false, \`vl2 serve --no-ui\`)`,
    );
  const files = new Map<string, StaticFile>();
  for (const entry of readdirSync(built, { recursive: true, withFileTypes: true })) {
    const contentType = contentTypes[extname(entry.name)];
    if (!entry.isFile() || !contentType) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(built, path).split(sep).join('/'), { body: readFileSync(path), contentType });
  }
  files.set('demo.png', {
    body: readFileSync(join(root, 'assets', 'demo.png')),
    contentType: contentTypes['.png'] as string,
  });
  return files;
}
