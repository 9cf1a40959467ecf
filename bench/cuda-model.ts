/**
 * The whole model on the GPU, per variant, on synthetic checkpoints at real width (layer count
 * reduced): first the CUDA logits against the CPU backend's on the same prompts (bf16 tolerances),
 * then prefill tokens/s, vision tiles/s and decode step time against its bytes-moved floor
 * (a device-to-device copy measured in the same run), with the CPU backend's numbers beside.
 *   tsx bench/cuda-model.ts [--variants tiny,small,base] [--layers N] [--decode-steps N]
 * Per-kernel times against torch: bench/cuda (kernels program), see bench/NOTES.md.
 */
import { Command } from 'commander';
import { nativeAddon } from '../lib/engine/addon.js';
import { EngineModel } from '../lib/engine/native-model.js';
import type { EnginePrompt } from '../lib/engine/native-types.js';
import type { VariantName } from '../lib/synth/variants.js';
import { randomPrompt } from './support/prompts.js';
import { benchModel } from './support/synthetic-model.js';
import { printTable, timeMs } from './support/table.js';

const program = new Command()
  .option('--variants <list>', 'variants to run', 'tiny,small,base')
  .option('--layers <n>', 'language layers of each synthetic checkpoint (first dense, rest MoE)', '3')
  .option('--decode-steps <n>', 'timed decode steps per batch size', '32')
  .option('--batches <list>', 'decode batch sizes', '1,16,64')
  .option('--agreement-only', 'compare with the CPU backend, skip the timings')
  .option('--agreement-steps <n>', 'greedy decode steps compared with the CPU backend', '8')
  .parse();
const opts = program.opts<{
  variants: string;
  layers: string;
  decodeSteps: string;
  batches: string;
  agreementOnly?: boolean;
  agreementSteps: string;
}>();
const layers = Number(opts.layers);
const decodeSteps = Number(opts.decodeSteps);
const batchSizes = opts.batches.split(',').map(Number);

const relativeError = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    d += ((a[i] as number) - (b[i] as number)) ** 2;
    n += (b[i] as number) ** 2;
  }
  return Math.sqrt(d / n);
};
const argmax = (x: Float32Array) => x.reduce((best, v, i) => (v > (x[best] as number) ? i : best), 0);
const rankOf = (x: Float32Array, id: number) => x.filter((v) => v > (x[id] as number)).length + 1;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const copyBytesPerSecond = nativeAddon().measureCopyBandwidth(0);
console.log(`device-to-device copy: ${(copyBytesPerSecond / 1e12).toFixed(3)} TB/s (read + write)`);

const agreement: Record<string, string | number>[] = [];
const speed: Record<string, string | number>[] = [];

/** Bytes one decode step of `batch` rows must read: weights it touches and the cache it attends over. */
function decodeStepBytes(model: EngineModel, batch: number, cachedTokens: number): number {
  const c = model.checkpoint.modelConfig.language;
  let dense = 0;
  let experts = 0;
  for (const t of model.checkpoint.tensors) {
    if (!t.name.startsWith('language.') || t.name === 'language.model.embed_tokens.weight') continue;
    if (t.name.includes('.mlp.experts.')) experts += t.byteLength;
    else dense += t.byteLength;
  }
  // Expected distinct experts a step touches when each row picks topK of E at random.
  const e = c.nRoutedExperts;
  const touched = e ? e * (1 - (1 - c.numExpertsPerTok / e) ** batch) : 0;
  const cache = batch * cachedTokens * model.info().cacheBytesPerToken;
  return dense + (e ? (experts * touched) / e : 0) + cache;
}

async function prefillMs(model: EngineModel, prompt: EnginePrompt): Promise<number> {
  const sequence = model.createSequence();
  try {
    return (await timeMs(() => model.prefill(sequence, prompt))).ms;
  } finally {
    model.freeSequence(sequence);
  }
}

/** Mean ms of one decode step of `batch` sequences holding `context` tokens each. */
async function decodeStepMs(model: EngineModel, batch: number, context: number, steps: number, seed: number) {
  const config = model.checkpoint.modelConfig;
  const sequences: number[] = [];
  try {
    for (let b = 0; b < batch; b++) {
      const sequence = model.createSequence();
      sequences.push(sequence);
      await model.prefill(sequence, randomPrompt(config, seed + b, context));
    }
    const step = () => model.decodeGreedy(sequences.map((sequence) => ({ sequence, token: 5 })));
    await step(); // warm-up
    const { ms } = await timeMs(async () => {
      for (let s = 0; s < steps; s++) await step();
    });
    return ms / steps;
  } finally {
    for (const sequence of sequences) model.freeSequence(sequence);
  }
}

for (const variant of opts.variants.split(',') as VariantName[]) {
  const { dir, cleanup } = await benchModel(undefined, layers, variant);
  try {
    const gpu = await EngineModel.load(dir, { device: 'cuda', cacheTokens: 80_000 });
    const cpu = await EngineModel.load(dir, { device: 'cpu', cacheTokens: 4096 });
    const config = gpu.checkpoint.modelConfig;
    const info = gpu.info();
    console.log(
      `\n${variant}: ${layers} layers, weights ${(info.weightBytes / 1e9).toFixed(2)} GB on ${info.device}, ` +
        `KV cache ${(info.cacheBytes / 1e9).toFixed(2)} GB (${info.cacheCapacityTokens} tokens, ${info.cacheBytesPerToken} B/token)`,
    );

    // Agreement: one image of 1x1 local tile plus text, then greedy steps chosen by the CPU.
    const prompt = randomPrompt(config, 7, 64, { across: 1, down: 1 });
    const [a, b] = [cpu.createSequence(), gpu.createSequence()];
    let cpuLogits = (await cpu.prefill(a, prompt)).logits;
    let gpuLogits = (await gpu.prefill(b, prompt)).logits;
    const errors = [relativeError(gpuLogits, cpuLogits)];
    let worstError = errors[0] as number;
    let worstRank = rankOf(gpuLogits, argmax(cpuLogits));
    let greedySame = 0;
    const steps = Number(opts.agreementSteps);
    const chosen: number[] = [];
    for (let s = 0; s < steps; s++) {
      const token = argmax(cpuLogits);
      chosen.push(token);
      if (argmax(gpuLogits) === token) greedySame++;
      cpuLogits = await cpu.decode([{ sequence: a, token }]);
      gpuLogits = await gpu.decode([{ sequence: b, token }]);
      errors.push(relativeError(gpuLogits, cpuLogits));
      worstError = Math.max(worstError, errors.at(-1) as number);
      worstRank = Math.max(worstRank, rankOf(gpuLogits, argmax(cpuLogits)));
    }
    cpu.freeSequence(a);
    gpu.freeSequence(b);
    console.log(
      `${variant}: logits rel. error, prefill then each decode step: ${errors.map((e) => e.toExponential(1)).join(' ')}`,
    );
    // The same positions again as prompts, with the routing each backend chose for the last
    // token: separates bf16 error from a token sent to different experts (a discrete flip).
    const sameRouting: number[] = [];
    const otherRouting: number[] = [];
    for (let s = 0; s <= steps; s++) {
      const extended = { ...prompt, inputIds: [...prompt.inputIds, ...chosen.slice(0, s)] };
      const [c, g] = [cpu.createSequence(), gpu.createSequence()];
      const onCpu = await cpu.prefill(c, extended, { capture: true });
      const onGpu = await gpu.prefill(g, extended, { capture: true });
      cpu.freeSequence(c);
      gpu.freeSequence(g);
      const same = (onCpu.experts as Int32Array).every((e, i) => e === (onGpu.experts as Int32Array)[i]);
      (same ? sameRouting : otherRouting).push(relativeError(onGpu.logits, onCpu.logits));
    }
    agreement.push({
      variant,
      'positions compared': steps + 1,
      'worst logits rel. err': worstError.toExponential(2),
      limit: '2e-2',
      'worst rank of CPU top-1': worstRank,
      'same greedy token': `${greedySame}/${steps}`,
      'same routing (prompt path)': `${sameRouting.length}/${steps + 1}`,
      'worst err, same routing': Math.max(0, ...sameRouting).toExponential(2),
      'errs, routing differs': otherRouting.map((e) => e.toExponential(1)).join(' ') || '-',
    });

    if (opts.agreementOnly) {
      cpu.close();
      gpu.close();
      continue;
    }
    // Speed.
    const prefillTokens = 1024;
    const prefillTimes: number[] = [];
    for (const seed of [101, 102, 103])
      prefillTimes.push(await prefillMs(gpu, randomPrompt(config, seed, prefillTokens)));
    const prefill = median(prefillTimes);
    const cpuPrefill = await prefillMs(cpu, randomPrompt(config, 200, 128));
    const image = { across: 2, down: 2 };
    const withImage = randomPrompt(config, 300, 64, image);
    const imageMs = await prefillMs(gpu, withImage);
    const textMs = await prefillMs(gpu, randomPrompt(config, 301, withImage.inputIds.length));
    const tiles = 1 + image.across * image.down;
    speed.push({
      variant,
      work: `prefill ${prefillTokens} tokens`,
      ms: prefill,
      'tokens/s': (prefillTokens / prefill) * 1000,
      'floor ms': '-',
      '% of floor': '-',
      'CPU tokens/s': (128 / cpuPrefill) * 1000,
    });
    speed.push({
      variant,
      work: `vision ${tiles} tiles (2x2 image)`,
      ms: imageMs - textMs,
      'tokens/s': `${((tiles / (imageMs - textMs)) * 1000).toFixed(1)} tiles/s`,
      'floor ms': '-',
      '% of floor': '-',
      'CPU tokens/s': '-',
    });
    const context = 512;
    for (const batch of batchSizes) {
      const ms = await decodeStepMs(gpu, batch, context, decodeSteps, 1000);
      const floor = (decodeStepBytes(gpu, batch, context) / copyBytesPerSecond) * 1000;
      const cpuMs = batch === 1 ? await decodeStepMs(cpu, 1, 128, 4, 2000) : Number.NaN;
      speed.push({
        variant,
        work: `decode step, batch ${batch}, ${context} cached`,
        ms,
        'tokens/s': (batch / ms) * 1000,
        'floor ms': floor,
        '% of floor': `${((floor / ms) * 100).toFixed(0)}%`,
        'CPU tokens/s': batch === 1 ? 1000 / cpuMs : '-',
      });
    }
    cpu.close();
    gpu.close();
  } finally {
    await cleanup();
  }
}
printTable('CUDA logits against the CPU backend (same synthetic checkpoint, same prompts)', agreement);
printTable(
  `GPU speed (${layers}-layer synthetic checkpoints; floor = bytes a step must read / measured copy rate)`,
  speed,
);
