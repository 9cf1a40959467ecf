/**
 * The vitest config of scripts/test-asan.mjs: the project's config plus a LeakSanitizer check
 * after every test file (test/asan/leak-check.setup.ts).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    root: fileURLToPath(new URL('../..', import.meta.url)),
    test: { setupFiles: [fileURLToPath(new URL('leak-check.setup.ts', import.meta.url))] },
  }),
);
