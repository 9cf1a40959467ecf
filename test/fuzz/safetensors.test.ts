/**
 * Fuzz: safetensors shard headers (lib/checkpoint/safetensors.ts) from arbitrary files: well-formed
 * headers with mutated entries, lying length prefixes, cut files and noise. A header is either
 * accepted with every tensor inside the file, sized by dtype x shape and overlapping no other, or
 * refused with a CheckpointError; never another exception.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readShardHeader } from '../../lib/checkpoint/safetensors.js';
import { CheckpointError } from '../../lib/errors.js';
import { edgeValue, fuzzRuns, mutatedJson } from './arbitraries.js';

const dir = mkdtempSync(join(tmpdir(), 'vl2-fuzz-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sizes: Record<string, number> = { BF16: 2, F16: 2, F32: 4, U8: 1, I64: 8 };

/** A valid header for tensors of these shapes laid end to end, and the data bytes it needs. */
const validShard = fc
  .array(
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 12 }),
      dtype: fc.constantFrom(...Object.keys(sizes)),
      shape: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }),
    }),
    { maxLength: 5 },
  )
  .map((tensors) => {
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    let offset = 0;
    for (const t of tensors) {
      const bytes = t.shape.reduce((a, d) => a * d, 1) * (sizes[t.dtype] as number);
      header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
    }
    return { header, dataBytes: offset };
  });

const shardFile = fc.oneof(
  // A valid shard, a mutated header, a lying length prefix, extra or missing data bytes.
  fc
    .tuple(
      validShard,
      fc.boolean(),
      fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { freq: 4 }),
      fc.integer({ min: -8, max: 8 }),
    )
    .chain(([shard, mutate, lyingLength, dataDelta]) =>
      (mutate ? mutatedJson(shard.header) : fc.constant(shard.header)).map((header) => {
        const json = Buffer.from(JSON.stringify(header) ?? 'null');
        const prefix = Buffer.alloc(8);
        prefix.writeBigUInt64LE(lyingLength ?? BigInt(json.length));
        return Buffer.concat([prefix, json, Buffer.alloc(Math.max(0, shard.dataBytes + dataDelta))]);
      }),
    ),
  // Arbitrary entries under a correct prefix.
  fc.dictionary(fc.string({ maxLength: 6 }), edgeValue, { maxKeys: 4 }).map((header) => {
    const json = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([prefix, json, Buffer.alloc(64)]);
  }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

describe('fuzz: safetensors headers', () => {
  it('accepts only headers whose tensors lie inside the file, refuses the rest with CheckpointError', async () => {
    let file = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(shardFile, async (bytes) => {
        const path = join(dir, `shard-${file++}.safetensors`);
        writeFileSync(path, bytes);
        let header: Awaited<ReturnType<typeof readShardHeader>>;
        try {
          header = await readShardHeader(path);
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
          return;
        } finally {
          rmSync(path, { force: true });
        }
        accepted++;
        const spans = header.tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.offset - b.offset);
        for (const t of header.tensors) {
          expect(Number.isSafeInteger(t.offset) && t.offset >= 8).toBe(true);
          expect(t.offset + t.byteLength).toBeLessThanOrEqual(bytes.length);
          expect(t.byteLength).toBe(t.shape.reduce((a, d) => a * d, 1) * (sizes[t.dtype] ?? t.byteLength));
        }
        for (let i = 1; i < spans.length; i++) {
          const previous = spans[i - 1] as (typeof spans)[number];
          expect((spans[i] as (typeof spans)[number]).offset).toBeGreaterThanOrEqual(
            previous.offset + previous.byteLength,
          );
        }
      }),
      { numRuns: fuzzRuns(400) },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});
