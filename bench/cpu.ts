/**
 * CPU backend throughput on a synthetic Tiny at real width (fewer layers, to fit a bench run):
 * decode tokens/s and the weight bytes each decode step streams against the memory bandwidth measured
 * in the same run; prefill tokens/s; vision tiles/s.
 *   usage: npm run bench:cpu -- [--layers N] [--model DIR]
 */

import { parseArgs } from 'node:util';
import { EngineModel } from '../lib/engine/native-model.js';
import { benchModel } from './support/synthetic-model.js';
import { measureCopyBandwidthGBs, printTable, timeMs } from './support/table.js';

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '4' },
    model: { type: 'string' },
    steps: { type: 'string', default: '16' },
  },
});
const layers = Number(values.layers);
const steps = Number(values.steps);
const { dir, cleanup } = await benchModel(values.model, layers);

const model = await EngineModel.load(dir, { cacheTokens: 4096 });
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
const sequence = model.createSequence();
await model.prefill(sequence, { inputIds: prompt.subarray(0, 16) }); // warm: fault the weights in
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
const visionSeq = model.createSequence();
const imageTokens = 210 + 1 + 14 * 1 * (14 * 2 + 1); // one image tiled 2 across, 1 down
const ids = new Int32Array(imageTokens + 2).fill(5);
const vision = await timeMs(() =>
  model.prefill(visionSeq, {
    inputIds: ids,
    tiles,
    imagesSpatialCrop: [2, 1],
    imageTokenPositions: Int32Array.from({ length: imageTokens }, (_, i) => i + 1),
  }),
);
model.freeSequence(visionSeq);
const bandwidth = measureCopyBandwidthGBs();
const decodeMsPerToken = decode.ms / steps;
const decodeGBs = decodeBytes / (decodeMsPerToken / 1000) / 1e9;

printTable(
  `CPU backend, synthetic Tiny (hidden ${h}, ${config.numHiddenLayers} layers), ${info.mappedBytes / 1e9} GB mapped`,
  [
    {
      work: 'decode (batch 1)',
      ms: decodeMsPerToken,
      'tokens/s': 1000 / decodeMsPerToken,
      'GB/s weights': decodeGBs,
      '% of copy bandwidth': (100 * decodeGBs) / bandwidth,
    },
    {
      work: `prefill ${prefillTokens} tokens`,
      ms: prefill.ms,
      'tokens/s': (prefillTokens * 1000) / prefill.ms,
      'GB/s weights': '-',
      '% of copy bandwidth': '-',
    },
    {
      work: 'vision + projector, 3 tiles (+ prefill of 649 tokens)',
      ms: vision.ms,
      'tokens/s': '-',
      'GB/s weights': '-',
      '% of copy bandwidth': '-',
    },
    {
      work: 'memcpy (reference, same run)',
      ms: '-',
      'tokens/s': '-',
      'GB/s weights': bandwidth,
      '% of copy bandwidth': 100,
    },
  ],
);
model.close();
await cleanup();
