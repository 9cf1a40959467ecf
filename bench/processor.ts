/**
 * Processor throughput on a 2000x1500 JPEG: decode, tiling (PIL-exact bicubic in TypeScript) and the
 * chat template, in tiles/s; beside it, sharp decoding and resizing the same image to the same sizes
 * in the same run (libvips, a fast native reference for the resize work).
 *   usage: npm run bench:processor
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { HfTokenizer, Processor } from '../lib/processor/index.js';
import { printTable, timeMs } from './support/table.js';

const golden = resolve(import.meta.dirname, '..', '..', 'shared', 'golden');
const jpeg = await sharp({
  create: {
    width: 2000,
    height: 1500,
    channels: 3,
    background: '#000',
    noise: { type: 'gaussian', mean: 128, sigma: 60 },
  },
})
  .jpeg({ quality: 90 })
  .toBuffer();
const processor = await Processor.fromModelDir(
  resolve(golden, 'models', 'tiny'),
  await HfTokenizer.load(resolve(golden, 'tokenizer', 'tokenizer.json')),
);
const messages = [{ role: 'user' as const, content: '<image>\nDescribe this image.', images: [jpeg] }];
await processor.process(messages); // warm up
const runs = 5;
let tiles = 0;
let crop: number[] = [];
// The resampling runs on the JS thread: the longest event-loop stall says how long a server waits.
const stalls = monitorEventLoopDelay({ resolution: 1 });
stalls.enable();
const ours = await timeMs(async () => {
  for (let i = 0; i < runs; i++) {
    const prompt = await processor.process(messages);
    tiles += prompt.tiles.length / (384 * 384 * 3);
    crop = Array.from(prompt.imagesSpatialCrop);
  }
});
stalls.disable();
const [across = 1, down = 1] = crop;
const reference = await timeMs(async () => {
  for (let i = 0; i < runs; i++) {
    await sharp(jpeg).resize(384, 288, { kernel: 'cubic' }).raw().toBuffer();
    await sharp(jpeg)
      .resize(384 * across, 384 * down, { kernel: 'cubic' })
      .raw()
      .toBuffer();
  }
});
printTable(
  `Processor, 2000x1500 JPEG -> ${across}x${down} tiles + global view (${runs} runs, load average ${loadavg()[0]?.toFixed(1)})`,
  [
    {
      work: 'processor (decode, PIL bicubic, tiles, template)',
      'ms/image': ours.ms / runs,
      'tiles/s': (tiles * 1000) / ours.ms,
      'longest event-loop stall ms': stalls.max / 1e6,
    },
    {
      work: 'sharp decode + 2 resizes (reference, same run)',
      'ms/image': reference.ms / runs,
      'tiles/s': '-',
      'longest event-loop stall ms': '-',
    },
  ],
);
