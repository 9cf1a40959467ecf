/**
 * Processor throughput on photo-like images: decode (sharp), PIL-exact tiling (native/image, on the
 * image pool) and the chat template, in tiles/s one image at a time and with N images in flight;
 * beside it sharp on the same files in the same run, two ways:
 *  - comparable work: decode the whole image once, cubic pad-resize those pixels to the global view
 *    and to the canvas, cut the tiles (what we do; PIL's output needs every decoded pixel);
 *  - sharp's own pipeline per output (decode + resize from the JPEG): libjpeg's shrink-on-load decodes
 *    large photos at 1/2 to 1/8 scale, less work but not the pixels PIL resizes.
 * Per row the event-loop delay (a server's other requests wait that long), the process's CPU time per
 * image (all threads: the work itself, which other load on the machine changes far less than the wall
 * clock) and the JS thread's busy time per image (event-loop utilisation).
 * The images are generated here, distinct and of realistic sizes (phone photos, scanned A4 pages,
 * screenshots, small web images), gradients plus noise so that JPEG decoding costs about what real
 * photos cost.
 *   usage: npm run bench:processor [-- --rounds R]
 *   GPU host (staged package): bash scripts/stage-device.sh --images, then
 *   `UV_THREADPOOL_SIZE=<cores> node out/bench/processor.js` (libuv's pool runs the decodes and the tiling
 *   tasks; its default 4 threads caps images in flight; it must be set in the environment, since ES
 *   module loading starts the pool before any code could set it)
 */
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { nativeAddon } from '../lib/engine/addon.js';
import { ByteTokenizer, Processor } from '../lib/processor/index.js';
import { selectBestResolution, tileCountOf, tileSize } from '../lib/processor/tiling.js';
import { photoLike } from './support/photos.js';
import { printTable, timeMs } from './support/table.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
const rounds = Number(values.rounds);

/** DeepSeek-VL2's published candidate resolutions (every variant's config.json). */
// biome-ignore format: a table
const candidateResolutions: [number, number][] = [
  [384, 384], [384, 768], [384, 1152], [384, 1536], [384, 1920], [384, 2304], [384, 2688], [384, 3072],
  [384, 3456], [768, 384], [768, 768], [768, 1152], [768, 1536], [1152, 384], [1152, 768], [1152, 1152],
  [1536, 384], [1536, 768], [1920, 384], [2304, 384], [2688, 384], [3072, 384], [3456, 384],
];
const fill = { r: 127, g: 127, b: 127 };

interface Kind {
  name: string;
  width: number;
  height: number;
  count: number;
}
const kinds: Kind[] = [
  { name: 'phone photo', width: 4032, height: 3024, count: 4 },
  { name: 'scanned A4', width: 2480, height: 3508, count: 3 },
  { name: 'screenshot', width: 1920, height: 1080, count: 4 },
  { name: 'web image', width: 640, height: 480, count: 8 },
];

const images: { kind: string; jpeg: Buffer; canvas: [number, number] }[] = [];
let seed = 1;
for (const kind of kinds) {
  for (let i = 0; i < kind.count; i++) {
    const jpeg = await photoLike(kind.width, kind.height, seed++);
    images.push({
      kind: kind.name,
      jpeg,
      canvas: selectBestResolution(kind.width, kind.height, candidateResolutions),
    });
  }
}
const processor = new Processor(new ByteTokenizer(1024), { candidateResolutions });

/** Our processor on one image: decode, native tiling, template. Returns its tiles. */
async function ours(jpeg: Buffer): Promise<number> {
  const prompt = await processor.process([
    { role: 'user', content: '<image>\nDescribe this.', images: [jpeg] },
  ]);
  return prompt.tiles.length / (tileSize * tileSize * 3);
}

/**
 * sharp: cubic pad-resize to the global view and the canvas, both at once, then the cut; from the
 * pixels decoded once (`decodeFirst`) or each straight from the JPEG (shrink-on-load).
 */
async function sharpReference(
  jpeg: Buffer,
  [canvasWidth, canvasHeight]: [number, number],
  decodeFirst: boolean,
): Promise<number> {
  const source = decodeFirst ? await sharp(jpeg).raw().toBuffer({ resolveWithObject: true }) : undefined;
  const input = () =>
    source
      ? sharp(source.data, {
          raw: { width: source.info.width, height: source.info.height, channels: source.info.channels },
        })
      : sharp(jpeg);
  const resize = (width: number, height: number) =>
    input()
      .resize(width, height, { fit: 'contain', background: fill, kernel: 'cubic' })
      .removeAlpha()
      .raw()
      .toBuffer();
  const [global, canvas] = await Promise.all([resize(tileSize, tileSize), resize(canvasWidth, canvasHeight)]);
  const tiles = tileCountOf([canvasWidth, canvasHeight]);
  const tileBytes = tileSize * tileSize * 3;
  const out = new Uint8Array(tiles * tileBytes);
  out.set(global);
  let at = tileBytes;
  for (let ty = 0; ty < canvasHeight / tileSize; ty++) {
    for (let tx = 0; tx < canvasWidth / tileSize; tx++, at += tileBytes) {
      for (let y = 0; y < tileSize; y++) {
        const row = ((ty * tileSize + y) * canvasWidth + tx * tileSize) * 3;
        out.set(canvas.subarray(row, row + tileSize * 3), at + y * tileSize * 3);
      }
    }
  }
  return tiles;
}

type Work = (image: (typeof images)[number]) => Promise<number>;

/** `rounds` passes (or more, see below) over every image with `inFlight` at once; tiles/s and the event-loop delay. */
async function measure(
  work: string,
  inFlight: number,
  run: Work,
  set = images,
): Promise<Record<string, string | number>> {
  // At least two images per slot, so every row keeps `inFlight` busy.
  const passes = Math.max(rounds, Math.ceil((2 * inFlight) / set.length));
  const queue = Array.from({ length: passes }, () => set).flat();
  let next = 0;
  let tiles = 0;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const busyBefore = performance.eventLoopUtilization();
  const cpuBefore = process.cpuUsage();
  const { ms } = await timeMs(() =>
    Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < queue.length) {
          const done = await run(queue[next++] as (typeof images)[number]);
          tiles += done;
        }
      }),
    ),
  );
  const busy = performance.eventLoopUtilization(busyBefore);
  const cpu = process.cpuUsage(cpuBefore);
  delay.disable();
  return {
    work,
    'in flight': String(inFlight),
    images: String(queue.length),
    'tiles/s': (tiles * 1000) / ms,
    'ms/image': ms / queue.length,
    'event-loop delay max ms': delay.max / 1e6,
    'p99 ms': delay.percentile(99) / 1e6,
    'CPU ms/image': (cpu.user + cpu.system) / 1000 / queue.length,
    'JS thread busy ms/image': busy.active / queue.length,
  };
}

const processorWork = 'processor (decode, native tiling, template)';
const sharpComparable = 'sharp: decode once, 2 cubic resizes of those pixels, cut';
const sharpShrinkOnLoad = 'sharp: 2 pipelines from the JPEG (shrink-on-load), cut';
await measure('warm-up', 4, (image) => ours(image.jpeg));
await measure('warm-up', 4, (image) => sharpReference(image.jpeg, image.canvas, true));
const rows: Record<string, string | number>[] = [];
const tilesPerSecond: Record<string, number> = {};
for (const inFlight of [1, 4, 16]) {
  for (const [work, run] of [
    [processorWork, (image) => ours(image.jpeg)],
    [sharpComparable, (image) => sharpReference(image.jpeg, image.canvas, true)],
    [sharpShrinkOnLoad, (image) => sharpReference(image.jpeg, image.canvas, false)],
  ] as [string, Work][]) {
    const row = await measure(work, inFlight, run);
    tilesPerSecond[`${work} ${inFlight}`] = row['tiles/s'] as number;
    rows.push(row);
  }
}
rows.push(await measure('processor, 64 images at once', 64, (image) => ours(image.jpeg)));

const megabytes = images.reduce((sum, image) => sum + image.jpeg.length, 0) / 1e6;
printTable(
  `Processor on ${images.length} distinct JPEGs (${kinds.map((k) => `${k.count} ${k.name} ${k.width}x${k.height}`).join(', ')}; ` +
    `${megabytes.toFixed(1)} MB), ${rounds} rounds per row; ${availableParallelism()} cores, image pool ` +
    `${nativeAddon().imageThreads()} threads (${nativeAddon().imageKernels()}), decoder ${nativeAddon().imageDecoder()}, UV_THREADPOOL_SIZE ` +
    `${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, load average ${loadavg()[0]?.toFixed(1)} at the end`,
  rows,
);
// Where the time goes per kind of image, one at a time: ours against the comparable sharp work.
const perKind: Record<string, string | number>[] = [];
for (const kind of kinds) {
  const set = images.filter((image) => image.kind === kind.name);
  for (const [work, run] of [
    ['processor', (image) => ours(image.jpeg)],
    ['sharp, comparable work', (image) => sharpReference(image.jpeg, image.canvas, true)],
  ] as [string, Work][]) {
    const {
      'tiles/s': tilesPerSecondOfKind,
      'ms/image': msPerImage,
      'CPU ms/image': cpuMs,
    } = await measure(work, 1, run, set);
    perKind.push({
      kind: `${kind.name} ${kind.width}x${kind.height}`,
      work,
      'tiles/s': tilesPerSecondOfKind as number,
      'ms/image': msPerImage as number,
      'CPU ms/image': cpuMs as number,
    });
  }
}
printTable('Per kind of image, one at a time', perKind);

const ratio = (inFlight: number, reference: string) =>
  (
    (tilesPerSecond[`${processorWork} ${inFlight}`] as number) / (tilesPerSecond[`${reference} 1`] as number)
  ).toFixed(2);
console.log(
  `\nprocessor vs sharp one at a time (comparable work / shrink-on-load): 1 in flight ${ratio(1, sharpComparable)}x / ` +
    `${ratio(1, sharpShrinkOnLoad)}x; 4 in flight ${ratio(4, sharpComparable)}x / ${ratio(4, sharpShrinkOnLoad)}x`,
);
