/**
 * Sets of Unicode code points as sorted, disjoint inclusive ranges: what a regex class, `.` or a
 * JSON string character stands for. Surrogates (U+D800-U+DFFF) are never members: they have no
 * UTF-8 encoding, so no generated text can contain them.
 */
import type { CodePointRanges } from './grammar-text.js';

export const maxCodePoint = 0x10ffff;
const surrogates: CodePointRanges = [[0xd800, 0xdfff]];

/** Sorts and merges overlapping or adjacent ranges, and drops surrogates. */
export function normalize(ranges: Iterable<readonly [number, number]>): CodePointRanges {
  const sorted = [...ranges].map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return subtractRaw(merged, surrogates);
}

function subtractRaw(a: CodePointRanges, b: CodePointRanges): CodePointRanges {
  const out: [number, number][] = [];
  for (const [lo, hi] of a) {
    let start = lo;
    for (const [blo, bhi] of b) {
      if (bhi < start || blo > hi) continue;
      if (blo > start) out.push([start, blo - 1]);
      start = bhi + 1;
    }
    if (start <= hi) out.push([start, hi]);
  }
  return out;
}

export function subtract(a: CodePointRanges, b: CodePointRanges): CodePointRanges {
  return subtractRaw(normalize(a), normalize(b));
}

export function complement(a: CodePointRanges): CodePointRanges {
  return subtract([[0, maxCodePoint]], a);
}

export function intersect(a: CodePointRanges, b: CodePointRanges): CodePointRanges {
  return subtract(a, complement(b));
}

export function contains(a: CodePointRanges, cp: number): boolean {
  return a.some(([lo, hi]) => cp >= lo && cp <= hi);
}

/** JavaScript's WhiteSpace and LineTerminator: what regex `\s` matches and String.trim removes. */
export const jsWhitespace = normalize([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);

/** What regex `.` does not match (without the `s` flag). */
export const lineTerminators = normalize([
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
]);

export const asciiDigits = normalize([[0x30, 0x39]]);
export const asciiWordCharacters = normalize([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
