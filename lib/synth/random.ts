/**
 * Deterministic, fast random bf16 values for synthetic weights: xoshiro128** seeded by splitmix32,
 * uniform in [-a, a] with a = std * sqrt(3) so the variance is std^2.
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * Fills out with bf16 bit patterns of values of standard deviation std: each 32-bit draw gives two
   * 16-bit uniform indices into a table of the 65536 evenly spaced values in [-a, a].
   */
  fillBf16(out: Uint16Array, std: number): void {
    const table = uniformTable(std);
    const pairs = out.length >>> 1;
    for (let i = 0; i < pairs; i++) {
      const r = this.nextUint32();
      out[2 * i] = table[r & 0xffff] as number;
      out[2 * i + 1] = table[r >>> 16] as number;
    }
    if (out.length & 1) out[out.length - 1] = table[this.nextUint32() & 0xffff] as number;
  }
}

const tables = new Map<number, Uint16Array>();

function uniformTable(std: number): Uint16Array {
  let table = tables.get(std);
  if (!table) {
    const half = std * Math.sqrt(3);
    table = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = bf16Bits(((i + 0.5) / 65536) * 2 * half - half);
    tables.set(std, table);
  }
  return table;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The bf16 bit pattern of a float (round to nearest even). */
export function bf16Bits(value: number): number {
  const u32 = new Uint32Array(new Float32Array([value]).buffer)[0] as number;
  return ((u32 + 0x7fff + ((u32 >>> 16) & 1)) >>> 16) & 0xffff;
}
