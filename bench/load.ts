/**
 * Loading a checkpoint: a synthetic Tiny at real width (or --model DIR). Each rate is printed beside
 * the reference measured in the same run: writing the checkpoint beside a plain write of as many
 * bytes, and the native load and GPU upload beside a plain sequential read of the shard files.
 * `npm run bench:load -- [--layers 12] [--model DIR]`
 */
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openCheckpoint } from '../lib/checkpoint/index.js';
import { EngineModel } from '../lib/engine/native-model.js';
import { writeSyntheticCheckpoint } from '../lib/synth/write-checkpoint.js';
import { fixtureTokenizer } from './support/synthetic-model.js';
import { printTable, timeMs } from './support/table.js';

const { values } = parseArgs({
  options: { layers: { type: 'string', default: '12' }, model: { type: 'string' } },
});

const chunkBytes = 64 * 1024 * 1024;

/** Reads every shard once with large sequential reads (from the page cache if it holds them). */
async function readAll(files: string[]): Promise<number> {
  const buffer = Buffer.alloc(chunkBytes);
  let total = 0;
  for (const file of files) {
    const handle = await open(file, 'r');
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    await handle.close();
  }
  return total;
}

/** Writes bytes of one reused buffer to a new file: the rate the disk (and page cache) takes writes at. */
async function writePlain(path: string, bytes: number): Promise<void> {
  const buffer = Buffer.alloc(chunkBytes, 0x3c);
  const handle = await open(path, 'w');
  for (let done = 0; done < bytes; done += chunkBytes) {
    await handle.write(buffer, 0, Math.min(chunkBytes, bytes - done), done);
  }
  await handle.close();
}

const gbPerS = (bytes: number, ms: number) => bytes / 1e9 / (ms / 1000);
const rows: Record<string, string | number>[] = [];
let dir = values.model;
let work: string | undefined;
if (!dir) {
  work = await mkdtemp(join(tmpdir(), 'vl2-bench-load-'));
  dir = join(work, 'tiny');
  const synth = await timeMs(() =>
    writeSyntheticCheckpoint({
      variant: 'tiny',
      out: dir as string,
      layers: Number(values.layers),
      seed: 1,
      tokenizerJson: fixtureTokenizer(),
    }),
  );
  const plainPath = join(work, 'plain.bin');
  const plain = await timeMs(() => writePlain(plainPath, synth.value.totalBytes));
  await unlink(plainPath);
  rows.push(
    {
      step: 'write plain bytes (reference, same run)',
      ms: plain.ms,
      'GB/s': gbPerS(synth.value.totalBytes, plain.ms),
    },
    {
      step: `vl2 synth: write the checkpoint (seeded bf16)`,
      ms: synth.ms,
      'GB/s': gbPerS(synth.value.totalBytes, synth.ms),
    },
  );
}

const validation = await timeMs(() => openCheckpoint(dir as string));
const table = validation.value;
const read = await timeMs(() => readAll(table.files));
const load = await timeMs(() => EngineModel.load(dir as string, { cacheTokens: 256 }));
const model = load.value;
const sequence = model.createSequence();
const first = await timeMs(() =>
  model.prefill(sequence, { inputIds: Int32Array.from({ length: 8 }, (_, i) => i + 3) }),
);
const gpu = await model.measureGpuUpload().then(
  (timing) => ({ ms: timing.seconds * 1000, 'GB/s': timing.bytes / 1e9 / timing.seconds }),
  (error: Error) => ({ ms: `not available: ${error.message}`, 'GB/s': '-' }),
);
model.close();
rows.push(
  {
    step: 'read the shard files (reference, same run)',
    ms: read.ms,
    'GB/s': gbPerS(read.value, read.ms),
  },
  { step: 'validate (config, index, headers)', ms: validation.ms, 'GB/s': '-' },
  {
    step: 'native load (mmap, no copy; pages fault in on use)',
    ms: load.ms,
    'GB/s': gbPerS(table.weightBytes, load.ms),
  },
  { step: 'first prefill, 8 tokens (faults the used pages in)', ms: first.ms, 'GB/s': '-' },
  { step: 'GPU upload (pinned 64 MB chunks, double buffered)', ...gpu },
);
printTable(
  `Loading ${values.model ?? `a synthetic Tiny, ${values.layers} layers`} ` +
    `(${(table.weightBytes / 1e9).toFixed(2)} GB of bf16 weights, ${table.files.length} shards)`,
  rows,
);
if (work) await rm(work, { recursive: true, force: true });
