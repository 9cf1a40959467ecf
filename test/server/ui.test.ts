/**
 * The web demo's routes (no model needed: a server whose model is still loading serves them): the
 * page at / with a content security policy that forbids loads from elsewhere, its files under /ui/
 * with their types, /ui/config.json, and none of it without `ui: true`. With an API key the page
 * stays open and says a key is needed; the API does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../lib/index.js';
import { type Served, serve } from './serve.js';

const loading = new Promise<Model>(() => {});
const opened: Served[] = [];
let withUi: Served;
let without: Served;

beforeAll(async () => {
  withUi = await serve(loading, { ui: true, apiKey: 'sk-page' });
  without = await serve(loading);
  opened.push(withUi, without);
});
afterAll(async () => {
  for (const s of opened) await s.app.close();
});

describe('with ui: true', () => {
  it('serves the page at / under a policy that allows this origin only', async () => {
    const response = await fetch(`${withUi.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:|\*|unsafe/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).toContain('<script type="module" src="/ui/web/main.js"></script>');
    // Every script and stylesheet it names comes from this server (the icon is an empty data: URL).
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(url).toMatch(/^(\/ui\/|data:,$)/);
  });

  it('serves its modules, styles and the example image with their types', async () => {
    for (const [path, type] of [
      ['/ui/web/main.js', 'text/javascript; charset=utf-8'],
      ['/ui/grounding-text.js', 'text/javascript; charset=utf-8'],
      ['/ui/web/style.css', 'text/css; charset=utf-8'],
      ['/ui/demo.png', 'image/png'],
    ] as const) {
      const response = await fetch(`${withUi.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe(type);
    }
  });

  it('answers 404 for files it does not have, source maps and paths out of the folder included', async () => {
    for (const path of [
      '/ui/web/nothing.js',
      '/ui/web/main.ts',
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
    ])
      expect((await fetch(`${withUi.url}${path}`)).status, path).toBe(404);
  });

  it('tells the page the model name and that a key is needed; the page needs none, the API does', async () => {
    const config = await (await fetch(`${withUi.url}/ui/config.json`)).json();
    expect(config).toEqual({ model: 'tiny-golden', apiKeyRequired: true });
    expect((await fetch(`${withUi.url}/v1/models`)).status).toBe(401);
  });
});

describe('without ui', () => {
  it('has no page: / and /ui/* are 404', async () => {
    for (const path of ['/', '/ui/web/main.js', '/ui/config.json'])
      expect((await fetch(`${without.url}${path}`)).status, path).toBe(404);
  });
});
