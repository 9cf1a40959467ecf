/**
 * Debian's headless Chromium, driven by playwright-core (which never downloads a browser). A missing
 * browser fails the test that needs it, saying how to install one: a skipped browser test would let
 * CI pass without ever opening the page. .ci/run installs the package when it is missing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const root = resolve(import.meta.dirname, '..', '..');
/** Where the tests leave their screenshots (ignored by git). */
export const screenshots = join(root, 'test', '.output', 'web');

export const chromiumPath = process.env.VL2_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless, no GPU, no sandbox (CI runs as root), and nothing that phones home: no QUIC, first-run,
 * background networking, component updates or sync. The profile is a new empty folder.
 */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(
      `no Chromium at ${chromiumPath}: the web demo's browser test needs Debian's headless Chromium ` +
        '(`apt-get install -y chromium`, as .ci/run does when it is missing), or VL2_CHROMIUM=/path/to/chromium',
    );
  const profile = mkdtempSync(join(tmpdir(), 'vl2-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1100, height: 760 },
    deviceScaleFactor: 1,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The page's console errors and uncaught exceptions, as they happen (a CSP violation is one). */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}
