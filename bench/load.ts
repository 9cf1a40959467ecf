import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { openCheckpoint } from '../lib/checkpoint/index.js';
import { EngineModel } from '../lib/engine/native-model.js';
import { benchModel } from './support/synthetic-tiny.js';
import { printTable, timeMs } from './support/table.js';

const { values } = parseArgs({
  options: { layers: { type: 'string', default: '12' }, model: { type: 'string' } },
});
const { dir, cleanup } = await benchModel(values.model, Number(values.layers));

/** Reads every shard once with large sequential reads (from the page cache if it holds them). */
async function readAll(files: string[]): Promise<number> {
  const buffer = Buffer.alloc(64 * 1024 * 1024);
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

const validation = await timeMs(() => openCheckpoint(dir));
const table = validation.value;
const read = await timeMs(() => readAll(table.files));
const load = await timeMs(() => EngineModel.load(dir, { cacheTokens: 256 }));
const model = load.value;
const sequence = model.createSequence();
const first = await timeMs(() =>
  model.prefill(sequence, { inputIds: Int32Array.from({ length: 8 }, (_, i) => i + 3) }),
);
const gpu = await model.measureGpuUpload().then(
  (timing) => ({ ms: timing.seconds * 1000, 'GB/s': timing.bytes / 1e9 / timing.seconds }),
  (error: Error) => ({ ms: `unavailable: ${error.message}`, 'GB/s': '-' }),
);
model.close();
const gb = table.weightBytes / 1e9;
printTable(`Loading a synthetic Tiny (${gb.toFixed(2)} GB of bf16 weights, ${table.files.length} shards)`, [
  {
    step: 'read the shard files (reference, same run)',
    ms: read.ms,
    'GB/s': read.value / 1e9 / (read.ms / 1000),
  },
  { step: 'validate (config, index, headers)', ms: validation.ms, 'GB/s': '-' },
  { step: 'native load (mmap, no copy)', ms: load.ms, 'GB/s': gb / (load.ms / 1000) },
  { step: 'first prefill (faults used pages in)', ms: first.ms, 'GB/s': '-' },
  { step: 'GPU upload (pinned 64 MB chunks, double buffered)', ...gpu },
]);
await cleanup();
