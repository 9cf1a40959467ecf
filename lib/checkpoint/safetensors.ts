/**
 * safetensors headers: read only the header bytes of a shard and check everything the native side
 * will rely on (dtypes, shapes, offsets inside the file, no overlaps) before any tensor is touched.
 */
import { open } from 'node:fs/promises';
import { CheckpointError } from '../errors.js';

/** Element types the engine reads, with their sizes in bytes. */
export const dtypeBytes = { BF16: 2, F16: 2, F32: 4 } as const;
export type TensorDtype = keyof typeof dtypeBytes;

/**
 * Every dtype the safetensors format defines, with its element size: a header is checked whole
 * (a tensor the model never reads may be stored in any of them); the caller refuses the dtypes the
 * engine cannot use, for the tensors it uses.
 */
const formatDtypeBytes: Record<string, number> = {
  ...dtypeBytes,
  F64: 8,
  I64: 8,
  U64: 8,
  I32: 4,
  U32: 4,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

/** A tensor as one shard's header describes it (offset is absolute within the file). */
export interface ShardTensor {
  name: string;
  /** One of the safetensors dtypes; the engine reads only {@link TensorDtype}. */
  dtype: string;
  shape: number[];
  offset: number;
  byteLength: number;
}

export interface ShardHeader {
  path: string;
  fileBytes: number;
  tensors: ShardTensor[];
}

/** Headers past this size are refused: real shards have a few hundred kilobytes at most. */
export const maxHeaderBytes = 100 * 1024 * 1024;

export async function readShardHeader(path: string): Promise<ShardHeader> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new CheckpointError(`cannot open checkpoint shard ${path}: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  try {
    const fileBytes = (await handle.stat()).size;
    if (fileBytes < 8)
      throw new CheckpointError(`${path} is truncated: ${fileBytes} bytes, no safetensors header`, {
        file: path,
      });
    const prefix = Buffer.alloc(8);
    await handle.read(prefix, 0, 8, 0);
    const headerBytes = prefix.readBigUInt64LE(0);
    if (headerBytes > BigInt(maxHeaderBytes)) {
      throw new CheckpointError(
        `${path}: header length ${headerBytes} exceeds the ${maxHeaderBytes}-byte limit`,
        {
          file: path,
        },
      );
    }
    const headerLength = Number(headerBytes);
    if (8 + headerLength > fileBytes) {
      throw new CheckpointError(
        `${path} is truncated: its header claims ${headerLength} bytes, the file has ${fileBytes}`,
        {
          file: path,
        },
      );
    }
    const headerBuffer = Buffer.alloc(headerLength);
    await handle.read(headerBuffer, 0, headerLength, 8);
    let parsed: unknown;
    try {
      parsed = JSON.parse(headerBuffer.toString('utf8'));
    } catch (error) {
      throw new CheckpointError(`${path}: the safetensors header is not valid JSON`, {
        file: path,
        cause: error,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CheckpointError(`${path}: the safetensors header is not a JSON object`, { file: path });
    }
    const dataStart = 8 + headerLength;
    const tensors = Object.entries(parsed as Record<string, unknown>)
      .filter(([name]) => name !== '__metadata__')
      .map(([name, entry]) => parseEntry(path, name, entry, dataStart, fileBytes));
    checkNoOverlap(path, tensors);
    return { path, fileBytes, tensors };
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    // A read that fails (a folder named as a shard: EISDIR, an I/O error) names the shard too.
    throw new CheckpointError(`cannot read checkpoint shard ${path}: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  } finally {
    await handle.close();
  }
}

function parseEntry(
  path: string,
  name: string,
  entry: unknown,
  dataStart: number,
  fileBytes: number,
): ShardTensor {
  const fail = (why: string) =>
    new CheckpointError(`${path}: tensor ${name} ${why}`, { file: path, tensor: name });
  if (typeof entry !== 'object' || entry === null) throw fail('has no header entry object');
  const {
    dtype,
    shape,
    data_offsets: offsets,
  } = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string' || formatDtypeBytes[dtype] === undefined) {
    throw fail(`has dtype ${JSON.stringify(dtype)}, which is not a safetensors dtype`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw fail('has an invalid shape');
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    throw fail('has invalid data_offsets');
  }
  const [begin, end] = offsets as [number, number];
  const byteLength = (shape as number[]).reduce((a, d) => a * d, 1) * (formatDtypeBytes[dtype] as number);
  if (end - begin !== byteLength) {
    throw fail(
      `spans ${end - begin} bytes but ${dtype}[${(shape as number[]).join(', ')}] needs ${byteLength}: the header lies`,
    );
  }
  if (dataStart + end > fileBytes) {
    throw fail(`ends at byte ${dataStart + end} but the file has ${fileBytes}: the shard is truncated`);
  }
  return {
    name,
    dtype,
    shape: shape as number[],
    offset: dataStart + begin,
    byteLength,
  };
}

function checkNoOverlap(path: string, tensors: ShardTensor[]): void {
  const sorted = tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1] as ShardTensor;
    const current = sorted[i] as ShardTensor;
    if (current.offset < previous.offset + previous.byteLength) {
      throw new CheckpointError(`${path}: tensors ${previous.name} and ${current.name} overlap`, {
        file: path,
        tensor: current.name,
      });
    }
  }
}
