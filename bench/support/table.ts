/** Prints benchmark rows as an aligned text table (the form bench/NOTES.md keeps). */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const cell = (v: string | number | undefined) => (typeof v === 'number' ? formatNumber(v) : (v ?? ''));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(cell(r[c])).length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(columns.map((c) => String(cell(row[c])))));
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  return magnitude >= 100 ? value.toFixed(0) : magnitude >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Host memory bandwidth measured here and now: a large buffer copy, bytes read plus written per second. */
export function measureCopyBandwidthGBs(bytes = 512 * 1024 ** 2, repeats = 5): number {
  const source = Buffer.alloc(bytes, 1);
  const target = Buffer.alloc(bytes);
  source.copy(target); // fault both in first
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    source.copy(target);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return (2 * bytes) / best / 1e9;
}

export async function timeMs<T>(body: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await body();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}
