/**
 * The request storm on the CPU at CI size (test/support/storm.ts): 600 requests of the golden Tiny
 * model through a 1024-token cache with random aborts, early exits, malformed requests and a close()
 * under load; every completed greedy request is then compared with its prompt run alone, and RSS
 * growth is held to a slack plus 64 KiB per completed request (storm-leak.test.ts shows a 256 KiB
 * leak fails that). The GPU runs the same code at 10,000 requests: `node out/test/cuda/run-storm.js
 * --device cuda --requests 10000`. VL2_STORM_REQUESTS overrides the count.
 */
import { describe, expect, it } from 'vitest';
import { underAddressSanitizer } from '../support/memory.js';
import { describeStorm, runStorm } from '../support/storm.js';

describe('request storm (CPU)', () => {
  it('every request ends as its kind allows, greedy answers match alone, nothing sticks, memory holds, the scheduler lives', async () => {
    const report = await runStorm({
      device: 'cpu',
      requests: Number(process.env.VL2_STORM_REQUESTS ?? 600),
      concurrency: 24,
      cacheTokens: 1024,
      deadlineMs: 240_000,
      // Under npm run test:asan, LeakSanitizer judges leaks; ASan's quarantine makes RSS meaningless.
      checkRss: !underAddressSanitizer,
    });
    const lines = describeStorm(report);
    console.log(lines.join('\n'));
    expect(
      Object.entries(report.checks)
        .filter(([, ok]) => !ok)
        .map(([check]) => check),
      lines.join('\n'),
    ).toEqual([]);
  });
});
