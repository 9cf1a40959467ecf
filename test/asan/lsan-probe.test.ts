/**
 * The end-to-end half of the LeakSanitizer proof in scripts/test-asan.mjs: a vitest worker loads
 * the deliberately leaking addon (test/asan/lsan-probe.c) and leaks on a JavaScript call, a libuv
 * pool thread and a thread of its own. The script then requires LSan's report of all three in its
 * log folder: proof that the check runs when vitest stops a worker (test/asan/exit-on-sigterm.cjs)
 * and that test/asan/lsan.supp hides none of them. Runs only when the script names the probe
 * (VL2_LSAN_PROBE_ADDON); a plain `vitest run` skips it.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

interface LeakingAddon {
  leakOnJsThread(): undefined;
  leakOnLibuvThread(): Promise<undefined>;
  leakOnOwnThread(): undefined;
}

const probePath = process.env.VL2_LSAN_PROBE_ADDON;

describe.skipIf(!probePath)('LeakSanitizer probe (run by scripts/test-asan.mjs)', () => {
  it('leaks once on each thread kind the addon allocates on', async () => {
    const probe = createRequire(import.meta.url)(resolve(probePath as string)) as LeakingAddon;
    expect(probe.leakOnJsThread()).toBeUndefined();
    await expect(probe.leakOnLibuvThread()).resolves.toBeUndefined();
    expect(probe.leakOnOwnThread()).toBeUndefined();
  });
});
