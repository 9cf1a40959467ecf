/**
 * `vl2 batch` on one GPU against a replica per GPU, in the same run: N distinct synthetic photos
 * (each its own random picture at photo size, so neither the vision-feature cache nor the prefix
 * cache helps), one request each ("Describe this image.", greedy), through generateBatch on
 * `cudaDevices: [first]` and then on `cudaDevices: 'all'`. Both load the same full-depth synthetic
 * Tiny and see the same requests, so they write the same tokens. Prints images/s, output tokens/s
 * and the speed-up. The whole path runs: JPEG decode and tiling on the JS thread, vision and
 * language on the GPUs.
 *   node out/bench/multi-gpu.js [--images 512] [--max-tokens 64] [--concurrency 64] [--gpus all] [--layers 12] [--model DIR]
 *   (--cpu-replicas N runs the same comparison on CPU replicas: a smoke test where there is no GPU)
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { backends } from '../lib/backends.js';
import type { BatchRequest } from '../lib/batch.js';
import { loadModel, type ModelLoadOptions } from '../lib/load-model.js';
import { ByteTokenizer } from '../lib/processor/index.js';
import type { ReplicatedModel } from '../lib/replicas/replicated-model.js';
import { seededRandom } from './support/prompts.js';
import { benchModel } from './support/synthetic-model.js';
import { printTable } from './support/table.js';

const program = new Command()
  .option('--images <n>', 'distinct photos, one request each', '512')
  .option('--max-tokens <n>', 'tokens each answer may write', '64')
  .option('--concurrency <n>', 'requests in flight per replica (vl2 batch: 64)', '64')
  .option('--gpus <list>', "the GPUs of the replicated run: 'all' or indices (0,1)", 'all')
  .option('--layers <n>', 'language layers of the synthetic Tiny (default: full depth, 12)', '12')
  .option('--model <dir>', 'a model directory instead of the synthetic Tiny')
  .option('--cpu-replicas <n>', 'compare 1 and N CPU replicas instead of GPUs (a smoke test)')
  .parse();
const opts = program.opts<{
  images: string;
  maxTokens: string;
  concurrency: string;
  gpus: string;
  layers: string;
  model?: string;
  cpuReplicas?: string;
}>();
const imageCount = Number(opts.images);
const maxTokens = Number(opts.maxTokens);
/** Photo sizes the requests cycle through: landscape, portrait and wide, as cameras and phones give. */
const photoSizes: [number, number][] = [
  [1024, 768],
  [768, 1024],
  [1280, 720],
];
/** A photo's detail: random pixels at this size, smoothly enlarged to the photo size. */
const detailSize: [number, number] = [48, 36];
const warmupRequests = 4;

/** The replicated runs to compare: one device first (the baseline), then all of them. */
function runsToCompare(): { name: string; options: ModelLoadOptions }[] {
  if (opts.cpuReplicas)
    return [
      { name: '1 CPU replica', options: { device: 'cpu', cpuReplicas: 1 } },
      {
        name: `${opts.cpuReplicas} CPU replicas`,
        options: { device: 'cpu', cpuReplicas: Number(opts.cpuReplicas) },
      },
    ];
  const cuda = backends().find((b) => b.name === 'cuda');
  if (!cuda?.available)
    throw new Error(`this bench needs CUDA: ${cuda && 'reason' in cuda ? cuda.reason : 'not compiled'}`);
  const all = opts.gpus === 'all' ? cuda.devices.map((d) => d.index) : opts.gpus.split(',').map(Number);
  return [
    { name: `1 GPU (${all[0]})`, options: { device: 'cuda', cudaDevices: all.slice(0, 1) } },
    { name: `${all.length} GPUs (${all.join(',')})`, options: { device: 'cuda', cudaDevices: all } },
  ];
}

/** Writes `count` distinct JPEG photos (seeded) into `dir`; returns their paths. */
async function writePhotos(dir: string, count: number, seedBase: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const next = seededRandom(seedBase + i);
    const [w, h] = detailSize;
    const pixels = Buffer.alloc(w * h * 3);
    for (let p = 0; p < pixels.length; p++) pixels[p] = Math.floor(next() * 256);
    const [width, height] = photoSizes[i % photoSizes.length] as [number, number];
    const path = join(dir, `photo-${seedBase + i}.jpg`);
    await sharp(pixels, { raw: { width: w, height: h, channels: 3 } })
      .resize(width, height, { kernel: 'cubic' })
      .jpeg({ quality: 90 })
      .toFile(path);
    paths.push(path);
  }
  return paths;
}

const requestsFor = (photos: string[]): BatchRequest[] =>
  photos.map((photo, i) => ({
    id: String(i),
    messages: [{ role: 'user', content: '<image>\nDescribe this image.', images: [photo] }],
    options: { maxTokens },
  }));

const runs = runsToCompare();
const { dir, cleanup } = await benchModel(opts.model, Number(opts.layers), 'tiny');
const photoDir = await mkdtemp(join(tmpdir(), 'vl2-photos-'));
try {
  process.stderr.write(`writing ${imageCount} synthetic photos to ${photoDir}\n`);
  const photos = await writePhotos(photoDir, imageCount, 1);
  const warmup = requestsFor(await writePhotos(photoDir, warmupRequests, 1_000_000));
  // Synthetic checkpoints without the fixture tokenizer get byte ids (only the ids' range matters).
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as {
    language_config: { vocab_size: number };
  };
  const tokenizer = existsSync(join(dir, 'tokenizer.json'))
    ? undefined
    : new ByteTokenizer(config.language_config.vocab_size);
  const rows: Record<string, string | number>[] = [];
  for (const run of runs) {
    const model = (await loadModel(dir, { ...run.options, tokenizer })) as ReplicatedModel;
    try {
      for await (const _ of model.generateBatch(warmup)) {
        // compiles CUDA graphs and fills the allocators before timing
      }
      const routedBefore = model.info().replicas.map((r) => r.routed);
      const started = performance.now();
      let outputTokens = 0;
      let failed = 0;
      const concurrency = Number(opts.concurrency) * model.replicaCount;
      for await (const done of model.generateBatch(requestsFor(photos), { concurrency })) {
        if (done.error) {
          failed++;
          if (failed === 1) process.stderr.write(`first failure: ${JSON.stringify(done.error)}\n`);
        }
        outputTokens += done.result?.usage.completionTokens ?? 0;
      }
      const seconds = (performance.now() - started) / 1000;
      const info = model.info();
      rows.push({
        run: run.name,
        // Counts as text: the table prints numbers with decimals.
        replicas: String(info.replicas.length),
        images: String(imageCount),
        failed: String(failed),
        seconds,
        'images/s': imageCount / seconds,
        'output tokens/s': outputTokens / seconds,
        'requests per replica': info.replicas.map((r, i) => r.routed - (routedBefore[i] as number)).join('/'),
        'speed-up': rows.length ? (rows[0]?.seconds as number) / seconds : 1,
      });
      console.log(JSON.stringify(rows.at(-1)));
    } finally {
      await model.close();
    }
  }
  printTable(
    `vl2 batch over ${imageCount} distinct photos (${photoSizes.map(([w, h]) => `${w}x${h}`).join(', ')}), ` +
      `"Describe this image.", up to ${maxTokens} tokens each, greedy`,
    rows,
  );
} finally {
  await rm(photoDir, { recursive: true, force: true });
  await cleanup();
}
