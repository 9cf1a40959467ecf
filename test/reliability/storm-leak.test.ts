/**
 * The storm's RSS check catches a leak: the storm keeps 256 KiB of resident off-heap memory (a filled
 * Buffer) per completed request, and the check "RSS growth after the storm within slack + a bound per
 * completed request" must then fail, while the storm itself still ends well. 400 requests (about 180
 * completed after the baseline, 45 MiB kept past a bound of about 35 MiB) on the golden Tiny model:
 * ~20 s on 2 shared cores; the answer check is off, it has its own test (storm.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { underAddressSanitizer } from '../support/memory.js';
import { describeStorm, runStorm } from '../support/storm.js';

const rssCheck = 'RSS growth after the storm within slack + a bound per completed request';

// Under AddressSanitizer RSS proves nothing (freed memory waits in its quarantine): skipped there.
describe.skipIf(underAddressSanitizer)('request storm: the RSS check', () => {
  it('fails when every completed request leaks 256 KiB', async () => {
    const report = await runStorm({
      device: 'cpu',
      requests: 400,
      concurrency: 24,
      cacheTokens: 1024,
      deadlineMs: 240_000,
      checkAnswers: false,
      leakBytesPerCompletedRequest: 256 * 1024,
    });
    const lines = describeStorm(report).join('\n');
    console.log(lines);
    expect(report.leakedBytes, lines).toBe(report.completed * 256 * 1024);
    expect(report.checks[rssCheck], lines).toBe(false);
    // Only the memory check fails: the leak is all that differs from the CI storm.
    expect(
      Object.entries(report.checks)
        .filter(([check, ok]) => !ok && check !== rssCheck)
        .map(([check]) => check),
      lines,
    ).toEqual([]);
  });
});
