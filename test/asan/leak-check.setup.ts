/**
 * Setup file of test/asan/vitest.config.ts: after each test file (its own afterAll hooks run
 * first, so engines it closes are closed), LeakSanitizer checks the worker, through the small
 * addon test/asan/lsan-check.c. A leak fails that file in vitest's report; LSan's full report
 * (allocation stacks) is in the log folder scripts/test-asan.mjs names (ASAN_OPTIONS log_path).
 * Suppressions: test/asan/lsan.supp.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { afterAll, expect } from 'vitest';

const checkPath = process.env.VL2_LSAN_CHECK_ADDON;
if (!checkPath)
  throw new Error('VL2_LSAN_CHECK_ADDON is not set: run this config through scripts/test-asan.mjs');
const lsan = createRequire(import.meta.url)(resolve(checkPath)) as { leakCheck(): number };

afterAll(() => {
  expect(lsan.leakCheck(), `LeakSanitizer found leaks: report in ${process.env.VL2_LSAN_LOG_DIR}`).toBe(0);
});
