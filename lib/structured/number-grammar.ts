/**
 * Numbers between bounds, as grammar expressions over their decimal digits. Integers: the usual
 * digit-range construction (one alternative per digit count, split on the first differing digit),
 * without leading zeros or `-0`. Decimals (JSON Schema `number`): bounds with fractions too, built
 * the same way over the fraction digits; no exponent, and few enough digits near an exclusive bound
 * that JSON.parse cannot round a value onto it.
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
 * Significant digits a bounded decimal may have near an exclusive bound: any decimal of at most 15
 * significant digits survives the trip to a double unchanged, so one that differs from the bound
 * still differs after JSON.parse (and rounding keeps order, so it stays on the right side).
 * Inclusive bounds need no such limit: rounding never crosses the double the bound already is.
 */
const exactDecimalDigits = 15;

/** A non-negative decimal: integer part and fraction digits (no trailing zeros). */
export interface Magnitude {
  int: bigint;
  frac: string;
}

export interface DecimalBound {
  negative: boolean;
  magnitude: Magnitude;
  inclusive: boolean;
}

export interface DecimalBounds {
  lo?: DecimalBound;
  hi?: DecimalBound;
}

/** A schema bound as a decimal: its shortest round-trip text, which is exactly the double. */
export function decimalBound(value: number, inclusive: boolean): DecimalBound | undefined {
  const text = String(Math.abs(value));
  if (/e/i.test(text)) return undefined;
  const [int = '0', frac = ''] = text.split('.');
  return { negative: value < 0, magnitude: { int: BigInt(int), frac: frac.replace(/0+$/, '') }, inclusive };
}

function compareMagnitudes(a: Magnitude, b: Magnitude): number {
  if (a.int !== b.int) return a.int < b.int ? -1 : 1;
  const length = Math.max(a.frac.length, b.frac.length);
  const fa = a.frac.padEnd(length, '0');
  const fb = b.frac.padEnd(length, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/**
 * Fraction digits allowed for a bounded decimal: near an exclusive bound, integer digits plus
 * fraction digits stay within exactDecimalDigits. Undefined: an exclusive bound itself has more
 * significant digits than that, and the caller refuses.
 */
export function fractionDigitsFor(bounds: DecimalBounds): number | undefined {
  let digits = maxFractionDigits;
  for (const bound of [bounds.lo, bounds.hi]) {
    if (!bound || bound.inclusive) continue;
    const intDigits = bound.magnitude.int.toString().length;
    if (intDigits + bound.magnitude.frac.length > exactDecimalDigits) return undefined;
    digits = Math.min(digits, exactDecimalDigits - intDigits);
  }
  return digits >= 1 ? digits : undefined;
}

interface FractionBound {
  digits: string;
  inclusive: boolean;
}

/**
 * Fraction digit strings f of length 0..n (length 0: no fraction written) with lo <= 0.f <= hi,
 * each bound inclusive or not, undefined for none. Built digit by digit like the integer ranges:
 * a first digit strictly inside the bounds frees the rest, one equal to a bound's digit carries
 * that bound on to the rest.
 */
function fractionDigits(
  lo: FractionBound | undefined,
  hi: FractionBound | undefined,
  n: number,
): { empty: boolean; nonEmpty: string[] } {
  if (lo && lo.digits === '' && lo.inclusive) lo = undefined;
  const hiAllowsZero = hi ? hi.digits !== '' || hi.inclusive : true;
  const emptyOk = !lo && hiAllowsZero;
  if (!lo && !hi) return { empty: true, nonEmpty: n > 0 ? [`[0-9]{1,${n}}`] : [] };
  if (n === 0) return { empty: emptyOk, nonEmpty: [] };
  const groups = new Map<string, { digits: number[]; lo?: FractionBound; hi?: FractionBound }>();
  for (let c = 0; c <= 9; c++) {
    let subLo: FractionBound | undefined;
    let subHi: FractionBound | undefined;
    if (lo) {
      const l0 = Number(lo.digits[0] ?? '0');
      if (c < l0) continue;
      if (c === l0) subLo = { digits: lo.digits.slice(1), inclusive: lo.inclusive };
    }
    if (hi) {
      const h0 = Number(hi.digits[0] ?? '0');
      if (c > h0) continue;
      if (c === h0) subHi = { digits: hi.digits.slice(1), inclusive: hi.inclusive };
    }
    const key = JSON.stringify([subLo, subHi]);
    const group = groups.get(key) ?? { digits: [], lo: subLo, hi: subHi };
    group.digits.push(c);
    groups.set(key, group);
  }
  const nonEmpty: string[] = [];
  for (const group of groups.values()) {
    const rest = fractionDigits(group.lo, group.hi, n - 1);
    if (!rest.empty && rest.nonEmpty.length === 0) continue;
    const first = group.digits as number[];
    const lowDigit = first[0] as number;
    const highDigit = first[first.length - 1] as number;
    // Digits sharing a state are contiguous: they lie strictly between the bounds' digits.
    const head = lowDigit === highDigit ? `"${lowDigit}"` : `[${lowDigit}-${highDigit}]`;
    const tail = rest.nonEmpty.join(' | ');
    nonEmpty.push(!tail ? head : rest.empty ? `${head} (${tail})?` : `${head} (${tail})`);
  }
  return { empty: emptyOk, nonEmpty };
}

/** The fraction part (with its "."), or undefined when no fraction, not even none, fits. */
function fraction(
  lo: FractionBound | undefined,
  hi: FractionBound | undefined,
  n: number,
): string | undefined {
  const { empty, nonEmpty } = fractionDigits(lo, hi, n);
  if (nonEmpty.length === 0) return empty ? '' : undefined;
  const written = `"." (${nonEmpty.join(' | ')})`;
  return empty ? `(${written})?` : written;
}

/**
 * Magnitudes m (non-negative decimals, optional fraction) with lo <= m <= hi, bounds exclusive or
 * inclusive, hi open when undefined. Alternatives, empty when no magnitude fits.
 */
function magnitudeRange(
  lo: { magnitude: Magnitude; inclusive: boolean },
  hi: { magnitude: Magnitude; inclusive: boolean } | undefined,
  digits: number,
): string[] {
  const out: string[] = [];
  const withFraction = (int: bigint, part: string | undefined) => {
    if (part !== undefined) out.push(`"${int}"${part ? ` ${part}` : ''}`);
  };
  const loFraction = { digits: lo.magnitude.frac, inclusive: lo.inclusive };
  if (hi && compareMagnitudes(hi.magnitude, lo.magnitude) < 0) return out;
  if (hi && hi.magnitude.int === lo.magnitude.int) {
    withFraction(
      lo.magnitude.int,
      fraction(loFraction, { digits: hi.magnitude.frac, inclusive: hi.inclusive }, digits),
    );
    return out;
  }
  withFraction(lo.magnitude.int, fraction(loFraction, undefined, digits));
  const middle = naturalRange(lo.magnitude.int + 1n, hi ? hi.magnitude.int - 1n : undefined);
  if (middle.length) out.push(`(${middle.join(' | ')}) ("." [0-9]{1,${digits}})?`);
  if (hi)
    withFraction(
      hi.magnitude.int,
      fraction(undefined, { digits: hi.magnitude.frac, inclusive: hi.inclusive }, digits),
    );
  return out;
}

/** Decimals (no exponent) between the bounds, `digits` fraction digits at most; undefined when none fits. */
export function decimalRange(bounds: DecimalBounds, digits: number): string | undefined {
  const { lo, hi } = bounds;
  const out: string[] = [];
  const zero: Magnitude = { int: 0n, frac: '' };
  const isZero = (m: Magnitude) => m.int === 0n && m.frac === '';
  // Non-negative values: magnitudes from max(lo, 0) up to hi.
  if (!hi || (!hi.negative && (!isZero(hi.magnitude) || hi.inclusive))) {
    const from = lo && !lo.negative ? lo : { magnitude: zero, inclusive: true };
    out.push(...magnitudeRange(from, hi, digits));
  }
  // Negative values: "-" then a magnitude above 0 (never "-0" or "-0.0").
  if (!lo || (lo.negative && !isZero(lo.magnitude))) {
    const magLo = hi?.negative ? hi : { magnitude: zero, inclusive: false };
    const mags = magnitudeRange(magLo, lo, digits);
    if (mags.length) out.push(`"-" (${mags.join(' | ')})`);
  }
  return out.length ? out.join(' | ') : undefined;
}
