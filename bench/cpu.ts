/**
 * CPU backend throughput on a synthetic Tiny at real width (fewer layers, to fit a bench run), in
 * each cpuPrecision in the same run: the GEMM kernels alone at the vision tower's, the projector's and
 * the prompt's shapes (GFLOP/s); decode tokens/s and the weight bytes each decode step streams
 * against the memory bandwidth measured in the same run; prefill tokens/s; vision tiles/s.
 *   usage: npm run bench:cpu -- [--layers N] [--model DIR] [--precision fp32|bf16|both] [--threads N]
 */

import { parseArgs } from 'node:util';
import { backends } from '../lib/backends.js';
import { nativeAddon } from '../lib/engine/addon.js';
import { EngineModel } from '../lib/engine/native-model.js';
import type { CpuPrecision } from '../lib/engine/native-types.js';
import { bf16Bits } from '../lib/synth/random.js';
import { benchModel } from './support/synthetic-model.js';
import { measureCopyBandwidthGBs, printTable, timeMs } from './support/table.js';

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '4' },
    model: { type: 'string' },
    steps: { type: 'string', default: '16' },
    precision: { type: 'string', default: 'both' },
    threads: { type: 'string', default: '0' },
  },
});
const layers = Number(values.layers);
const steps = Number(values.steps);
const threads = Number(values.threads);
const cpu = backends().find((b) => b.name === 'cpu');
const hasBf16 = cpu?.name === 'cpu' && cpu.kernels.bf16 !== undefined;
const precisions: CpuPrecision[] =
  values.precision === 'both' ? (hasBf16 ? ['fp32', 'bf16'] : ['fp32']) : [values.precision as CpuPrecision];

// The GEMMs alone (x W^T, bf16 W), at the shapes a full-size Tiny runs: SigLIP-SO400M over one tile's
// 729 patches (width 1152, MLP 4304, fused qkv 3456), the projector over its 196 groups (4608 -> 1280),
// a 512-token prompt through the decoder (hidden 1280, dense MLP 6848), and one decode row of the
// lm head (vocabulary 129280: the bandwidth-bound case).
const gemmShapes: { work: string; M: number; K: number; N: number }[] = [
  { work: 'vision qkv', M: 729, K: 1152, N: 3456 },
  { work: 'vision fc1', M: 729, K: 1152, N: 4304 },
  { work: 'vision fc2', M: 729, K: 4304, N: 1152 },
  { work: 'projector', M: 196, K: 4608, N: 1280 },
  { work: 'prefill q/o', M: 512, K: 1280, N: 1280 },
  { work: 'prefill mlp up', M: 512, K: 1280, N: 6848 },
  { work: 'prefill mlp down', M: 512, K: 6848, N: 1280 },
  { work: 'decode lm head', M: 1, K: 1280, N: 129280 },
];
// Weight values from a prime-sized table of bf16 patterns (bf16Bits per element would take minutes).
const weightBits = Uint16Array.from({ length: 4093 }, (_, i) => bf16Bits(Math.cos(i * 0.11) * 0.05));
const gemmRows: Record<string, string | number>[] = [];
for (const { work, M, K, N } of gemmShapes) {
  const x = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.37));
  const w = new Uint16Array(N * K);
  for (let i = 0; i < w.length; i++) w[i] = weightBits[(i * 7) % weightBits.length] as number;
  const row: Record<string, string | number> = { work, 'M x K x N': `${M} x ${K} x ${N}` };
  const seconds: Partial<Record<CpuPrecision, number>> = {};
  for (const precision of precisions) {
    const probe = { x, w, M, K, N, precision, threads };
    nativeAddon().probeCpuMatmul(probe); // warm: pages and packing buffers
    const repeats = Math.max(1, Math.round(0.5 / nativeAddon().probeCpuMatmul(probe).seconds));
    const s = nativeAddon().probeCpuMatmul({ ...probe, repeats }).seconds;
    seconds[precision] = s;
    row[`${precision} ms`] = s * 1e3;
    row[`${precision} GFLOP/s`] = (2 * M * K * N) / s / 1e9;
  }
  if (seconds.fp32 && seconds.bf16) row['bf16 speed-up'] = seconds.fp32 / seconds.bf16;
  gemmRows.push(row);
}
printTable(`CPU GEMM kernels alone (${cpu?.threads} cores, threads ${threads || 'all'})`, gemmRows);

const { dir, cleanup } = await benchModel(values.model, layers);
const modelRows: Record<string, string | number>[] = [];
let decodeBandwidthRow: Record<string, string | number> | undefined;
let title = '';
for (const cpuPrecision of precisions) {
  const model = await EngineModel.load(dir, { cacheTokens: 4096, cpuPrecision, threads });
  const config = model.checkpoint.modelConfig.language;
  const info = model.info();

  // Weights one decode token reads: attention, the dense MLP or 6 routed + the shared experts per
  // layer, the router, the final norm and the lm head (bf16, 2 bytes each).
  const h = config.hiddenSize;
  let decodeWeights = config.vocabSize * h; // lm head
  for (let l = 0; l < config.numHiddenLayers; l++) {
    decodeWeights += 4 * h * h;
    decodeWeights +=
      l < config.firstKDenseReplace
        ? 3 * h * config.intermediateSize
        : 3 * h * config.moeIntermediateSize * (config.numExpertsPerTok + config.nSharedExperts) +
          config.nRoutedExperts * h;
  }
  const decodeBytes = decodeWeights * 2;

  const prefillTokens = 512;
  const prompt = Int32Array.from({ length: prefillTokens }, (_, i) => (i * 7919 + 11) % 100000);
  // Warm: fault in the weights, every routed expert's included (a short prompt touches few of them,
  // and the first long prompt then timed page faults from the mapped checkpoint). Other ids than the
  // timed prompt's, which would otherwise come from the prefix cache.
  const sequence = model.createSequence();
  await model.prefill(sequence, { inputIds: prompt.map((id) => id + 1) });
  model.freeSequence(sequence);

  const prefillSeq = model.createSequence();
  const prefill = await timeMs(() => model.prefill(prefillSeq, { inputIds: prompt }));
  let token = 100;
  await model.decode([{ sequence: prefillSeq, token }]);
  const decode = await timeMs(async () => {
    for (let i = 0; i < steps; i++) await model.decode([{ sequence: prefillSeq, token: token++ }]);
  });
  model.freeSequence(prefillSeq);

  const tiles = new Uint8Array(3 * 384 * 384 * 3).map((_, i) => (i * 31) & 255);
  const imageTokens = 210 + 1 + 14 * 1 * (14 * 2 + 1); // one image tiled 2 across, 1 down
  const ids = new Int32Array(imageTokens + 2).fill(5);
  const imagePrompt = (tileCount: number, crop: [number, number], tokens: number) => ({
    inputIds: ids.subarray(0, tokens + 2),
    tiles: tiles.subarray(0, tileCount * 384 * 384 * 3),
    imagesSpatialCrop: crop,
    imageTokenPositions: Int32Array.from({ length: tokens }, (_, i) => i + 1),
  });
  const timedPrefill = async (prompt: Parameters<typeof model.prefill>[1]) => {
    const seq = model.createSequence();
    try {
      return await timeMs(() => model.prefill(seq, prompt));
    } finally {
      model.freeSequence(seq);
    }
  };
  await timedPrefill(imagePrompt(2, [1, 1], 210 + 1 + 14 * 15)); // warm: fault the vision tower in
  const vision = await timedPrefill(imagePrompt(3, [2, 1], imageTokens));
  // The same prompt length as text alone: the difference is the vision tower and the projector.
  const sameText = await timedPrefill({ inputIds: ids });
  const visionMs = vision.ms - sameText.ms;
  const bandwidth = measureCopyBandwidthGBs();
  const decodeMsPerToken = decode.ms / steps;
  const decodeGBs = decodeBytes / (decodeMsPerToken / 1000) / 1e9;

  title = `CPU backend, synthetic Tiny (hidden ${h}, ${config.numHiddenLayers} layers), ${info.mappedBytes / 1e9} GB mapped`;
  const kernels = `${cpuPrecision} (${info.cpuKernels})`;
  modelRows.push(
    {
      precision: kernels,
      work: 'decode (batch 1)',
      ms: decodeMsPerToken,
      'tokens/s': 1000 / decodeMsPerToken,
      'GB/s weights': decodeGBs,
      '% of copy bandwidth': (100 * decodeGBs) / bandwidth,
    },
    {
      precision: kernels,
      work: `prefill ${prefillTokens} tokens`,
      ms: prefill.ms,
      'tokens/s': (prefillTokens * 1000) / prefill.ms,
      'GB/s weights': '-',
      '% of copy bandwidth': '-',
    },
    {
      precision: kernels,
      work: 'image prompt: 3 tiles + 649 tokens',
      ms: vision.ms,
      'tokens/s': '-',
      'GB/s weights': '-',
      '% of copy bandwidth': '-',
    },
    {
      precision: kernels,
      work: 'vision + projector alone (less the text prefill)',
      ms: visionMs,
      'tokens/s': `${((3 * 1000) / visionMs).toFixed(3)} tiles/s`,
      'GB/s weights': '-',
      '% of copy bandwidth': '-',
    },
  );
  decodeBandwidthRow = {
    precision: '-',
    work: 'memcpy (reference, same run)',
    ms: '-',
    'tokens/s': '-',
    'GB/s weights': bandwidth,
    '% of copy bandwidth': 100,
  };
  model.close();
}
if (decodeBandwidthRow) modelRows.push(decodeBandwidthRow);
printTable(title, modelRows);
await cleanup();
