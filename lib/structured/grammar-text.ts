/**
 * Writing grammar text in the dialect of native/grammar/README.md: quoted literals, character
 * classes, bounded repetition and a set of named rules. Every structured-output kind (JSON Schema,
 * any JSON object, regular expressions, grounding) builds its grammar through these helpers, so
 * escaping is decided in one place.
 */
import { ConstraintError } from '../errors.js';

/** The dialect refuses a repetition bound above this (README: "n, m at most 1000"). */
export const maxRepetitionBound = 1000;

/** A code point as an escape the dialect reads inside a literal or a class. */
function escapeCodePoint(cp: number): string {
  // \x only below 0x80: whether \x80..\xFF means a code point or a byte is easy to get wrong.
  if (cp < 0x80) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** Printable ASCII goes in as is; everything else as an escape, so the text stays ASCII. */
function isPlainAscii(cp: number): boolean {
  return cp >= 0x20 && cp < 0x7f;
}

/** A literal matching exactly `text` (its UTF-8 bytes). */
export function literal(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else out += isPlainAscii(cp) ? ch : escapeCodePoint(cp);
  }
  return `${out}"`;
}

/** Inclusive code point ranges, sorted and disjoint. */
export type CodePointRanges = ReadonlyArray<readonly [number, number]>;

function classAtom(cp: number): string {
  if (cp === 0x5d || cp === 0x5b || cp === 0x5c || cp === 0x2d || cp === 0x5e)
    return `\\${String.fromCodePoint(cp)}`;
  return isPlainAscii(cp) ? String.fromCodePoint(cp) : escapeCodePoint(cp);
}

/** A character class matching any code point in `ranges` (which must not be empty). */
export function characterClass(ranges: CodePointRanges): string {
  if (ranges.length === 0) throw new Error('characterClass: an empty class cannot be written');
  const body = ranges
    .map(([lo, hi]) => (lo === hi ? classAtom(lo) : `${classAtom(lo)}-${classAtom(hi)}`))
    .join('');
  return `[${body}]`;
}

/**
 * `item` repeated min..max times (max undefined: unbounded). The dialect caps a bound at 1000, so
 * larger counts are written as several bounded repetitions in sequence (same language).
 */
export function repeat(item: string, min: number, max: number | undefined): string {
  if (max !== undefined && max < min) throw new Error(`repeat: max ${max} < min ${min}`);
  const parts: string[] = [];
  let required = min;
  while (required > maxRepetitionBound) {
    parts.push(`${item}{${maxRepetitionBound}}`);
    required -= maxRepetitionBound;
  }
  if (max === undefined) {
    parts.push(required === 0 ? `${item}*` : required === 1 ? `${item}+` : `${item}{${required},}`);
    return parts.join(' ');
  }
  let optional = max - min;
  if (required > 0) parts.push(required === 1 ? item : `${item}{${required}}`);
  while (optional > maxRepetitionBound) {
    parts.push(`${item}{0,${maxRepetitionBound}}`);
    optional -= maxRepetitionBound;
  }
  if (optional > 0) parts.push(optional === 1 ? `${item}?` : `${item}{0,${optional}}`);
  return parts.length ? parts.join(' ') : '""';
}

/** Wraps an expression in parentheses unless it is already one atom (a name, literal or class). */
export function group(expression: string): string {
  return /^([a-zA-Z_][a-zA-Z0-9_-]*|"(?:[^"\\]|\\.)*"|\[(?:[^\]\\]|\\.)*\]|\([^()]*\))$/.test(expression)
    ? expression
    : `(${expression})`;
}

/** Alternatives, deduplicated; an empty list has no expression (the empty language). */
export function alternatives(options: readonly string[]): string | undefined {
  const unique = [...new Set(options)];
  if (unique.length === 0) return undefined;
  return unique.join(' | ');
}

/** Names `define` may give shared pieces (and `root`): `add` and `reserve` never hand them out. */
const fixedRuleName = /^(root|ws|date|json-.*)$/;

/**
 * Named rules of one grammar. `add` gives a body a fresh name (the hint plus a counter when taken)
 * and returns it; identical bodies share one rule, which keeps JSON Schema grammars with many equal
 * subschemas small. `reserve` names a rule before its body exists, for recursion ($ref cycles).
 */
export class RuleSet {
  private readonly bodies = new Map<string, string>();
  private readonly byBody = new Map<string, string>();
  private readonly reserved = new Set<string>();

  private freshName(hint: string): string {
    const base = hint.replace(/[^a-zA-Z0-9_-]/g, '-').replace(/^[^a-zA-Z_]/, 'r$&') || 'r';
    let name = base;
    const taken = (n: string) => this.bodies.has(n) || this.reserved.has(n) || fixedRuleName.test(n);
    for (let i = 2; taken(name); i++) name = `${base}-${i}`;
    return name;
  }

  add(hint: string, body: string): string {
    const existing = this.byBody.get(body);
    if (existing !== undefined) return existing;
    const name = this.freshName(hint);
    this.bodies.set(name, body);
    this.byBody.set(body, name);
    return name;
  }

  /** A rule under exactly this name (shared pieces such as `ws`); the same body again is a no-op. */
  define(name: string, body: string): string {
    const existing = this.bodies.get(name);
    if (existing !== undefined && existing !== body) throw new Error(`rule ${name} defined twice`);
    this.bodies.set(name, body);
    if (!this.byBody.has(body)) this.byBody.set(body, name);
    return name;
  }

  reserve(hint: string): string {
    const name = this.freshName(hint);
    this.reserved.add(name);
    return name;
  }

  fill(name: string, body: string): void {
    this.reserved.delete(name);
    this.bodies.set(name, body);
  }

  /** The grammar text, `root` first. */
  render(rootBody: string): string {
    const lines = [`root ::= ${rootBody}`];
    for (const [name, body] of this.bodies) lines.push(`${name} ::= ${body}`);
    return `${lines.join('\n')}\n`;
  }
}

/** A refusal of a regular expression at a 1-based column (patterns are one line). */
export function regexError(message: string, column: number, path?: string): ConstraintError {
  return new ConstraintError(`${message} (column ${column})`, { keyword: 'pattern', line: 1, column, path });
}
