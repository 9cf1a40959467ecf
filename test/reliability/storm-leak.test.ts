/**
 * The storm's RSS check catches a leak: the storm keeps 256 KiB of resident off-heap memory (a filled
 * Buffer) per completed request, and the check "RSS growth after the storm within slack + a bound per
 * completed request" must then fail, while the storm itself still ends well. 1,600 requests (about
 * 660 completed after the baseline: ~165 MiB kept past a bound of ~65 MiB) on the golden Tiny model,
 * ~55 s on 2 shared cores. With 400 (183 completed, 45.8 MiB kept past a bound of 35.4 MiB) the RSS
 * the rest of the process gave back in one CI run (-10 MiB; -35 to +22 MiB across leak-free runs,
 * docs/RELIABILITY.md 3) hid the leak: the margin must outgrow that noise. The answer check is off,
 * it has its own test (storm.test.ts).
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
      requests: 1600,
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
