/**
 * Numbers between bounds, as grammar expressions over their decimal digits. Integers: the usual
 * digit-range construction (one alternative per digit count, split on the first differing digit),
 * without leading zeros or `-0`. Decimals (JSON Schema `number`): integer bounds only, no exponent,
 * and few enough fraction digits that JSON.parse cannot round a value onto an exclusive bound.
 */
import { maxFractionDigits, maxIntegerDigits } from './json-grammar.js';

/** Decimal strings of equal length n between a and b (digit strings, a <= b). */
function sameLength(a: string, b: string): string[] {
  if (a.length === 0) return [''];
  const a0 = Number(a[0]);
  const b0 = Number(b[0]);
  const restA = a.slice(1);
  const restB = b.slice(1);
  const any = (count: number) => (count === 0 ? '' : count === 1 ? ' [0-9]' : ` [0-9]{${count}}`);
  const digits = (lo: number, hi: number) => (lo === hi ? `"${lo}"` : `[${lo}-${hi}]`);
  if (a0 === b0) return sameLength(restA, restB).map((tail) => `"${a0}"${tail ? ` ${tail}` : ''}`);
  const out: string[] = [];
  const lowFull = /^0*$/.test(restA);
  const highFull = /^9*$/.test(restB);
  const midLo = lowFull ? a0 : a0 + 1;
  const midHi = highFull ? b0 : b0 - 1;
  if (!lowFull)
    for (const tail of sameLength(restA, '9'.repeat(restA.length))) out.push(`"${a0}" ${tail}`.trim());
  if (midLo <= midHi) out.push(`${digits(midLo, midHi)}${any(restA.length)}`);
  if (!highFull)
    for (const tail of sameLength('0'.repeat(restB.length), restB)) out.push(`"${b0}" ${tail}`.trim());
  return out;
}

/**
 * Decimal spellings of the non-negative integers lo..hi (hi undefined: up to maxIntegerDigits
 * digits), as alternatives; empty when lo > hi.
 */
export function naturalRange(lo: bigint, hi: bigint | undefined): string[] {
  if (lo < 0n) throw new Error('naturalRange: negative lower bound');
  if (hi !== undefined && lo > hi) return [];
  const loText = lo.toString();
  const out: string[] = [];
  const hiLength = hi === undefined ? maxIntegerDigits : hi.toString().length;
  for (let length = loText.length; length <= hiLength; length++) {
    const a = length === loText.length ? loText : length === 1 ? '0' : `1${'0'.repeat(length - 1)}`;
    if (hi === undefined && length > loText.length) {
      out.push(`[1-9] [0-9]{${length - 1},${maxIntegerDigits - 1}}`);
      break;
    }
    const b = hi !== undefined && length === hiLength ? hi.toString() : '9'.repeat(length);
    out.push(...sameLength(a, b));
  }
  return out;
}

/** Integers lo..hi (either side open when undefined), as one alternatives expression or undefined. */
export function integerRange(lo: bigint | undefined, hi: bigint | undefined): string | undefined {
  const out: string[] = [];
  // Non-negative part.
  if (hi === undefined || hi >= 0n) out.push(...naturalRange(lo !== undefined && lo > 0n ? lo : 0n, hi));
  // Negative part: "-" then a magnitude in max(1, -hi)..-lo; "-0" never.
  if (lo === undefined || lo < 0n) {
    const magLo = hi !== undefined && hi < 0n ? -hi : 1n;
    const magHi = lo === undefined ? undefined : -lo;
    const mags = naturalRange(magLo, magHi);
    if (mags.length) out.push(`"-" (${mags.join(' | ')})`);
  }
  return out.length ? out.join(' | ') : undefined;
}

/**
 * Significant digits a bounded decimal may have: any decimal of at most 15 significant digits
 * survives the trip to a double unchanged, so one that differs from an exclusive bound still
 * differs after JSON.parse (and order is kept, so it stays on the right side).
 */
const exactDecimalDigits = 15;

export interface DecimalBounds {
  /** Integer lower bound and whether it is included; undefined: no bound. */
  lo?: { value: bigint; inclusive: boolean };
  hi?: { value: bigint; inclusive: boolean };
}

/**
 * Fraction digits allowed for a bounded decimal: near an exclusive bound b, integer part digits
 * plus fraction digits stay within exactDecimalDigits. Undefined: the bounds leave no room (an
 * exclusive bound of 15 or more digits), and the caller refuses.
 */
export function fractionDigitsFor(bounds: DecimalBounds): number | undefined {
  let digits = maxFractionDigits;
  for (const bound of [bounds.lo, bounds.hi]) {
    if (!bound || bound.inclusive) continue;
    const length = (bound.value < 0n ? -bound.value : bound.value).toString().length;
    digits = Math.min(digits, exactDecimalDigits - length);
  }
  return digits >= 1 ? digits : undefined;
}

/** `.ddd` with 1..n digits, at least one of them non-zero. */
function nonZeroFraction(n: number): string {
  const options: string[] = [];
  for (let zeros = 0; zeros < n; zeros++) {
    const rest = n - 1 - zeros;
    options.push(`${zeros ? `"${'0'.repeat(zeros)}" ` : ''}[1-9]${rest ? ` [0-9]{0,${rest}}` : ''}`.trim());
  }
  return `"." (${options.join(' | ')})`;
}

/**
 * Magnitudes m (non-negative decimals, optional fraction) with lo <= m <= hi, bounds exclusive or
 * inclusive, hi open when undefined. Alternatives, empty when no magnitude fits.
 */
function magnitudeRange(
  lo: { value: bigint; inclusive: boolean },
  hi: { value: bigint; inclusive: boolean } | undefined,
  fraction: number,
): string[] {
  const anyFraction = `("." [0-9]{1,${fraction}})?`;
  const zeroFraction = `("." "0"{1,${fraction}})?`;
  const out: string[] = [];
  const within = (a: bigint, b: bigint | undefined) => naturalRange(a, b);
  if (hi && hi.value < lo.value) return out;
  if (hi && hi.value === lo.value) {
    if (lo.inclusive && hi.inclusive) out.push(`"${lo.value}" ${zeroFraction}`);
    return out;
  }
  // Integer part == lo: lo itself only when inclusive, above it with a non-zero fraction.
  out.push(lo.inclusive ? `"${lo.value}" ${anyFraction}` : `"${lo.value}" ${nonZeroFraction(fraction)}`);
  // Integer parts strictly between: any fraction.
  const middle = within(lo.value + 1n, hi ? hi.value - 1n : undefined);
  if (middle.length) out.push(`(${middle.join(' | ')}) ${anyFraction}`);
  // Integer part == hi: only hi itself (zero fraction), and only when inclusive.
  if (hi?.inclusive) out.push(`"${hi.value}" ${zeroFraction}`);
  return out;
}

/** Decimals (no exponent) between integer bounds; undefined when none fits. */
export function decimalRange(bounds: DecimalBounds, fraction: number): string | undefined {
  const { lo, hi } = bounds;
  const out: string[] = [];
  const zero = { value: 0n, inclusive: true };
  // Non-negative values: magnitudes from max(lo, 0).
  if (!hi || hi.value > 0n || (hi.value === 0n && hi.inclusive)) {
    const from = lo && lo.value >= 0n ? lo : zero;
    out.push(...magnitudeRange(from, hi, fraction));
  }
  // Negative values, "-" then a magnitude above 0 (never "-0" or "-0.0").
  if (!lo || lo.value < 0n) {
    const magLo =
      hi && hi.value < 0n ? { value: -hi.value, inclusive: hi.inclusive } : { value: 0n, inclusive: false };
    const magHi = lo ? { value: -lo.value, inclusive: lo.inclusive } : undefined;
    const mags = magnitudeRange(magLo, magHi, fraction);
    if (mags.length) out.push(`"-" (${mags.join(' | ')})`);
  }
  return out.length ? out.join(' | ') : undefined;
}
