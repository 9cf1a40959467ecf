/**
 * Deterministic, fast random bf16 values for synthetic weights: xoshiro128** seeded by splitmix32,
 * uniform over 256 evenly spaced levels in [-a, a] with a = std * sqrt(3), so the variance is std^2
 * (bf16 keeps 8 significant bits, so finer levels would mostly round together anyway).
 */

/**
 * A table of 65536 pairs of bf16 values: entry i holds level (i & 0xff) in its low half and level
 * (i >>> 8) in its high half, so one 16-bit index gives two values with one load and one store.
 * Shared memory, so worker threads read it without a copy.
 */
export function pairTable(std: number): Uint32Array {
  const half = std * Math.sqrt(3);
  const levels = new Uint16Array(256);
  for (let k = 0; k < 256; k++) levels[k] = bf16Bits(((k + 0.5) / 256) * 2 * half - half);
  const table = new Uint32Array(new SharedArrayBuffer(65536 * 4));
  for (let i = 0; i < 65536; i++)
    table[i] = ((levels[i & 0xff] as number) | ((levels[i >>> 8] as number) << 16)) >>> 0;
  return table;
}

/**
 * Fills out with packed bf16 pairs (little-endian: the first value in the low half) drawn from a
 * generator seeded by seed; each 32-bit draw gives two table entries, four values.
 * Self-contained (no outside names): its source also runs in the worker threads of fill-pool.ts.
 * The state lives in locals: with fields, a rotate helper or a callback per draw it ran two to five
 * times slower, and writing a checkpoint should be bound by the disk.
 */
export function fillBf16Pairs(out: Uint32Array, table: Uint32Array, seed: number): void {
  // splitmix32 from the seed gives the four words of state. No inner functions: a transpiler may
  // wrap named ones in helpers that do not exist in the worker.
  const state = new Int32Array(4);
  let x = seed >>> 0;
  for (let k = 0; k < 4; k++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    state[k] = z ^ (z >>> 16);
  }
  let s0 = state[0] as number;
  let s1 = state[1] as number;
  let s2 = state[2] as number;
  let s3 = state[3] as number;
  for (let i = 0; i < out.length; i += 2) {
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    out[i] = table[r & 0xffff] as number;
    if (i + 1 < out.length) out[i + 1] = table[r >>> 16] as number;
  }
}

/** A 32-bit seed for one chunk of one tensor: values depend on neither sharding nor thread count. */
export function chunkSeed(seed: number, name: string, chunk: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ chunk, 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

/** The bf16 bit pattern of a float (round to nearest even). */
export function bf16Bits(value: number): number {
  const u32 = new Uint32Array(new Float32Array([value]).buffer)[0] as number;
  return ((u32 + 0x7fff + ((u32 >>> 16) & 1)) >>> 16) & 0xffff;
}
