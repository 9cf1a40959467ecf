/**
 * Batch inference over distinct photos, end to end: what `vl2 batch` runs (generateBatch: images
 * decoded and tiled ahead on the native pool while the scheduler generates) over N photo-like JPEGs
 * on disk with a full-depth synthetic model, beside the rate the model allows for the same work with
 * preprocessing taken out (every prompt prepared before the clock starts, then generated at the same
 * concurrency). The two runs use different photos, so neither finds the other's images in the prefix
 * or vision caches. The ratio says which side limits: near 100%, the GPU; below, preprocessing.
 *   node out/bench/batch.js [--images 256] [--concurrency 64] [--max-tokens 64] [--variant tiny]
 *                           [--layers N] [--device cuda|cpu]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../lib/load-model.js';
import type { LoadedModel as Model } from '../lib/model.js';
import type { PreparedPrompt } from '../lib/prepared.js';
import { ByteTokenizer } from '../lib/processor/index.js';
import type { VariantName } from '../lib/synth/variants.js';
import { photoLike } from './support/photos.js';
import { benchModel } from './support/synthetic-model.js';
import { printTable } from './support/table.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '256' },
    concurrency: { type: 'string', default: '64' },
    'max-tokens': { type: 'string', default: '64' },
    variant: { type: 'string', default: 'tiny' },
    layers: { type: 'string' },
    device: { type: 'string', default: 'cuda' },
  },
});
const imageCount = Number(values.images);
const concurrency = Number(values.concurrency);
const maxTokens = Number(values['max-tokens']);
const variant = values.variant as VariantName;
const depth = values.layers ? Number(values.layers) : { tiny: 12, small: 27, base: 30 }[variant];
const tileBytes = 384 * 384 * 3;

/** Long sides 800-2000 px in both orientations, as phone and web photos come. */
const sizes: [number, number][] = [
  [2000, 1500],
  [1500, 2000],
  [1600, 1200],
  [1920, 1080],
  [1280, 960],
  [1024, 768],
  [800, 600],
  [1200, 1600],
];

async function writePhotos(dir: string, count: number, firstSeed: number): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const [width, height] = sizes[i % sizes.length] as [number, number];
    const file = join(dir, `photo-${firstSeed + i}.jpg`);
    await writeFile(file, await photoLike(width, height, firstSeed + i));
    files.push(file);
  }
  return files;
}

const messagesOf = (file: string) => [
  { role: 'user' as const, content: '<image>\nDescribe this image in detail.', images: [file] },
];

interface RunResult {
  seconds: number;
  images: number;
  tiles: number;
  outputTokens: number;
  failed: number;
  /** How the answers ended, e.g. { length: 250, stop: 6 }: both runs should end alike. */
  finishes: Record<string, number>;
}

const countFinish = (finishes: Record<string, number>, reason: string) => {
  finishes[reason] = (finishes[reason] ?? 0) + 1;
};

/** End to end: generateBatch reads, decodes, tiles and generates, with its look-ahead. */
async function endToEnd(
  model: Model,
  files: string[],
  countTiles: (file: string) => number,
): Promise<RunResult> {
  const requests = files.map((file, i) => ({
    id: String(i),
    messages: messagesOf(file),
    options: { maxTokens },
  }));
  const started = performance.now();
  let outputTokens = 0;
  let failed = 0;
  const finishes: Record<string, number> = {};
  for await (const result of model.generateBatch(requests, { concurrency })) {
    if (result.error) failed++;
    outputTokens += result.result?.usage.completionTokens ?? 0;
    countFinish(finishes, result.result?.finishReason ?? result.error?.code ?? 'none');
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    images: files.length,
    tiles: files.reduce((n, f) => n + countTiles(f), 0),
    outputTokens,
    failed,
    finishes,
  };
}

/** Preprocessing taken out: every prompt prepared first, then only generation is timed. */
async function modelOnly(model: Model, files: string[]): Promise<RunResult> {
  const prepared: PreparedPrompt[] = [];
  for (const file of files) prepared.push(await model.prepare(messagesOf(file)));
  const tiles = prepared.reduce((n, p) => n + p.prompt.tiles.length / tileBytes, 0);
  const started = performance.now();
  let next = 0;
  let outputTokens = 0;
  let failed = 0;
  const finishes: Record<string, number> = {};
  const worker = async () => {
    while (next < prepared.length) {
      const prompt = prepared[next++] as PreparedPrompt;
      try {
        const result = await model.generate(prompt, { maxTokens });
        outputTokens += result.usage.completionTokens;
        countFinish(finishes, result.finishReason);
      } catch (error) {
        failed++;
        countFinish(finishes, (error as { code?: string }).code ?? 'error');
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, images: files.length, tiles, outputTokens, failed, finishes };
}

const { dir: modelDir, cleanup } = await benchModel(undefined, depth, variant);
const photoDir = await mkdtemp(join(tmpdir(), 'vl2-batch-photos-'));
try {
  const vocabSize = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8')).language_config
    .vocab_size;
  const model = await loadModel(modelDir, {
    device: values.device as 'cuda' | 'cpu',
    tokenizer: new ByteTokenizer(vocabSize),
  });
  try {
    console.error(`writing ${2 * imageCount + Math.min(16, imageCount)} photos to ${photoDir}`);
    const warmUp = await writePhotos(photoDir, Math.min(16, imageCount), 1_000_000);
    const forEndToEnd = await writePhotos(photoDir, imageCount, 1);
    const forModelOnly = await writePhotos(photoDir, imageCount, 500_000);
    const tilesByFile = new Map<string, number>();
    for (const file of forEndToEnd) {
      const prepared = await model.prepare(messagesOf(file));
      tilesByFile.set(file, prepared.prompt.tiles.length / tileBytes);
    }
    await modelOnly(model, warmUp); // CUDA graphs, scratch and caches settle before timing
    const rows = [
      { mode: 'preprocessing taken out (prepared ahead)', ...(await modelOnly(model, forModelOnly)) },
      {
        mode: 'end to end (generateBatch, as vl2 batch)',
        ...(await endToEnd(model, forEndToEnd, (f) => tilesByFile.get(f) ?? 0)),
      },
    ];
    const limit = rows[0] as (typeof rows)[number];
    printTable(
      `Batch over distinct photos: ${variant} (${depth} layers, synthetic) on ${model.device}, ${availableParallelism()} CPU cores, concurrency ${concurrency}, ${maxTokens} tokens out, greedy`,
      rows.map((r) => ({
        mode: r.mode,
        images: r.images,
        tiles: r.tiles,
        'output tokens': r.outputTokens,
        failed: r.failed,
        'finish reasons': Object.entries(r.finishes)
          .map(([reason, n]) => `${reason} ${n}`)
          .join(', '),
        seconds: r.seconds,
        'images/s': r.images / r.seconds,
        'tiles/s': r.tiles / r.seconds,
        'output tokens/s': r.outputTokens / r.seconds,
        'of the prepared rate': `${(((r.images / r.seconds) * 100) / (limit.images / limit.seconds)).toFixed(0)}%`,
      })),
    );
  } finally {
    await model.close();
  }
} finally {
  await rm(photoDir, { recursive: true, force: true });
  await cleanup();
}
