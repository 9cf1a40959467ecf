/**
 * GPU out-of-memory faults, as a plain script on the GPU machine (no injection: real allocations fail):
 *   node out/test/cuda/run-oom-faults.js [--variant small]
 * with the golden fixtures given by VL2_GOLDEN_DIR as for run-golden-check.js.
 *
 * 1. At load: a KV cache larger than the GPU. The load ends with VL2_OUT_OF_MEMORY, the weights it
 *    had uploaded are freed again (device memory within 64 MiB of before), and a load right after
 *    it works and answers.
 * 2. During a step: model A is loaded and has never run a step (so its activations are not yet
 *    allocated); other models then take the GPU's memory until less than a few MiB is free, and A
 *    gets a three-image request. That request ends with VL2_OUT_OF_MEMORY (or completes, when A's
 *    step fitted in what was left: reported, and the check is then not made); A's KV cache is whole
 *    again; once the other models close, the same request on A completes with exactly the tokens a
 *    freshly loaded model gives.
 * Prints one line per check; exits 1 when any fails.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type ChatMessage, type LoadOptions, loadModel, type Model } from '../../lib/index.js';
import { goldenPath, type ModelVariant } from '../support/golden.js';
import { goldenTokenizer } from '../support/golden-tokenizer.js';

const { values } = parseArgs({ options: { variant: { type: 'string', default: 'small' } } });
const modelDir = goldenPath('models', values.variant as string);
const MiB = 1024 * 1024;
const base: LoadOptions = { device: 'cuda', tokenizer: goldenTokenizer(values.variant as ModelVariant) };
const checks: [string, boolean, string][] = [];
const check = (name: string, ok: boolean, detail = '') => {
  checks.push([name, ok, detail]);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
};
const codeOf = (error: unknown) => (error as { code?: string }).code ?? String(error);
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

const threeImages: ChatMessage[] = [
  {
    role: 'user',
    content: '<image>\n<image>\n<image>\nDescribe the three images.',
    images: ['multi_image_1.jpeg', 'multi_image_2.jpeg', 'multi_image_3.jpeg'].map((name) =>
      readFileSync(goldenPath('images', name)),
    ),
  },
];
const ask = (model: Model) => model.generate(threeImages, { maxTokens: 16 });

const a = await loadModel(modelDir, { ...base, cacheTokens: 4096 });
const bytesPerToken = a.info().cacheBytesPerToken;
const freeAtStart = a.info().deviceFreeBytes;
console.log(`model A loaded: ${mib(freeAtStart)} free, ${bytesPerToken} KV bytes per token`);

// 1. Out of memory at load.
const tooMany = Math.ceil((2 * freeAtStart) / bytesPerToken);
let loadCode = 'loaded';
try {
  const huge = await loadModel(modelDir, { ...base, cacheTokens: tooMany });
  await huge.close();
} catch (error) {
  loadCode = codeOf(error);
  console.log(`load with a ${tooMany}-token cache: ${(error as Error).message}`);
}
check(
  'a cache larger than the GPU fails the load with VL2_OUT_OF_MEMORY',
  loadCode === 'VL2_OUT_OF_MEMORY',
  loadCode,
);
const freeAfterFailedLoad = a.info().deviceFreeBytes;
check(
  'the failed load freed what it had uploaded (within 64 MiB)',
  freeAtStart - freeAfterFailedLoad <= 64 * MiB,
  `${mib(freeAtStart)} free before, ${mib(freeAfterFailedLoad)} after`,
);
const reference = await loadModel(modelDir, { ...base, cacheTokens: 4096 });
const expected = await ask(reference);
check('a load right after it works and answers', expected.usage.completionTokens > 0);
await reference.close();

// 2. Out of memory during a step: other models take the memory A's first step needs.
const hogs: Model[] = [];
let tokens = Math.floor((a.info().deviceFreeBytes - 256 * MiB) / bytesPerToken);
for (let attempt = 0; attempt < 40 && a.info().deviceFreeBytes > 4 * MiB && tokens >= 64; attempt++) {
  try {
    hogs.push(await loadModel(modelDir, { ...base, cacheTokens: tokens }));
    tokens = Math.floor((a.info().deviceFreeBytes - 2 * MiB) / bytesPerToken);
  } catch (error) {
    const code = codeOf(error);
    if (code !== 'VL2_OUT_OF_MEMORY' && code !== 'VL2_INVALID_ARGUMENT') throw error;
    tokens = Math.floor(tokens / 2);
  }
}
const freeWhenFull = a.info().deviceFreeBytes;
console.log(`${hogs.length} other models loaded: ${mib(freeWhenFull)} free`);
let stepCode = 'completed';
try {
  await ask(a);
} catch (error) {
  stepCode = codeOf(error);
  console.log(`A's request with the GPU full: ${(error as Error).message}`);
}
if (stepCode === 'completed') {
  console.log(`not provoked: A's first step fitted in ${mib(freeWhenFull)}`);
} else {
  check(
    'the request whose step ran out of memory ends with VL2_OUT_OF_MEMORY',
    stepCode === 'VL2_OUT_OF_MEMORY',
    stepCode,
  );
}
check(
  "A's KV cache is whole again",
  a.info().cacheFreeTokens === a.info().cacheCapacityTokens,
  `${a.info().cacheFreeTokens} of ${a.info().cacheCapacityTokens} free`,
);
for (const hog of hogs) await hog.close();
const again = await ask(a);
check(
  'after the others close, A answers exactly as a fresh model',
  JSON.stringify(again.tokenIds) === JSON.stringify(expected.tokenIds),
  `${again.tokenIds.length} tokens, ${expected.tokenIds.length} expected`,
);
const freeAtEnd = a.info().deviceFreeBytes;
console.log(
  `device memory free: ${mib(freeAtStart)} at start, ${mib(freeAtEnd)} at the end (A holds its activations now)`,
);
await a.close();
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
