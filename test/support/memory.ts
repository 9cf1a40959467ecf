/**
 * A full garbage collection without starting node with --expose-gc: V8's flag is switched on at run
 * time and `gc` taken from a fresh context (the global of the current one does not gain it). Memory
 * tests call this before reading RSS, so a JS heap that could be collected does not count as a leak.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc(); // a second pass collects what the first pass's finalizers released
}

/** Resident set size after a full collection, in bytes. */
export function settledRss(): number {
  collectGarbage();
  return process.memoryUsage().rss;
}

/**
 * True when AddressSanitizer's runtime is loaded (npm run test:asan): freed memory then waits in
 * ASan's quarantine, so RSS says nothing about leaks. Memory-bound tests run in the plain test run.
 */
export const underAddressSanitizer = (() => {
  try {
    return /libasan/.test(readFileSync('/proc/self/maps', 'utf8'));
  } catch {
    return false;
  }
})();
