/**
 * A slow, plain reference recognizer for the grammar dialect of native/grammar/README.md, used by
 * tests as the oracle for the native matcher. Grammar text is parsed to an AST (with every refusal
 * the README lists, as a ConstraintError with line and column), lowered to BNF productions, and
 * matched by an Earley recognizer over UTF-8 bytes. Simplicity over speed: inputs stay < 2,000 bytes.
 *
 * Choices where the README is silent (tests pin each one):
 * - `\xHH` is the code point U+00HH (as in llama.cpp), so `"\x80"` matches the bytes C2 80.
 * - A rule body may span lines; it ends where the next `name ::=` starts. Whitespace may precede a
 *   postfix operator and sit inside `{n,m}`; postfixes may stack (`"a"*?`).
 * - Empty alternatives, `""` and `()` match the empty text. `x{0}` matches only the empty text and
 *   does not count as a left edge for left recursion.
 * - `[]` and `[^]` are empty classes, and so is any class matching no code point (`[z-a]` included).
 * - Escapes naming a surrogate (D800-DFFF) or a code point over 10FFFF are malformed.
 * - Columns count code points from 1; `\n` ends a line. Errors with no place of their own (no root)
 *   are reported at 1:1. A left-recursive cycle is reported at the definition of its first rule in
 *   the text.
 */
import { ConstraintError } from '../../lib/errors.js';

/** The largest n or m in `{n}`, `{n,}`, `{n,m}` (README). */
const maxRepetitionBound = 1000;
const maxCodePoint = 0x10ffff;
const surrogateFirst = 0xd800;
const surrogateLast = 0xdfff;

// ---------------------------------------------------------------------------------------------------
// Code point sets: sorted, disjoint, non-adjacent inclusive ranges, never containing a surrogate.

type Range = readonly [number, number];

class CodePointSet {
  private constructor(readonly ranges: readonly Range[]) {}

  static of(ranges: Range[]): CodePointSet {
    const sorted = ranges.filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [lo, hi] of sorted) {
      const last = merged[merged.length - 1];
      if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
      else merged.push([lo, hi]);
    }
    const noSurrogates: Range[] = [];
    for (const [lo, hi] of merged) {
      if (hi < surrogateFirst || lo > surrogateLast) noSurrogates.push([lo, hi]);
      else {
        if (lo < surrogateFirst) noSurrogates.push([lo, surrogateFirst - 1]);
        if (hi > surrogateLast) noSurrogates.push([surrogateLast + 1, hi]);
      }
    }
    return new CodePointSet(noSurrogates);
  }

  static any(): CodePointSet {
    return CodePointSet.of([[0, maxCodePoint]]);
  }

  complement(): CodePointSet {
    const out: Range[] = [];
    let next = 0;
    for (const [lo, hi] of this.ranges) {
      if (lo > next) out.push([next, lo - 1]);
      next = hi + 1;
    }
    if (next <= maxCodePoint) out.push([next, maxCodePoint]);
    return CodePointSet.of(out);
  }

  isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** Whether some member lies in [lo, hi]. */
  intersects(lo: number, hi: number): boolean {
    return this.ranges.some(([a, b]) => a <= hi && lo <= b);
  }
}

// ---------------------------------------------------------------------------------------------------
// AST

interface Place {
  line: number;
  column: number;
}

type Expr =
  | { kind: 'chars'; set: CodePointSet } // one code point: a class, `.`, or one code point of a literal
  | { kind: 'ref'; name: string; at: Place }
  | { kind: 'seq'; items: Expr[] }
  | { kind: 'alt'; options: Expr[] }
  | { kind: 'repeat'; item: Expr; min: number; max: number }; // max: Infinity for `*`, `+`, `{n,}`

interface Rule {
  name: string;
  at: Place;
  body: Expr;
}

function refuse(message: string, at: Place): never {
  throw new ConstraintError(`grammar: ${message} at line ${at.line}, column ${at.column}`, at);
}

const isNameStart = (c: string | undefined) => c !== undefined && /^[a-zA-Z_]$/.test(c);
const isNameChar = (c: string | undefined) => c !== undefined && /^[a-zA-Z0-9_-]$/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && /^[0-9]$/.test(c);
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Escapes that stand for one character (README): `\n \r \t \\ \" \' \[ \] \- \^ \/`. */
const simpleEscapes: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  '"': '"',
  "'": "'",
  '[': '[',
  ']': ']',
  '-': '-',
  '^': '^',
  '/': '/',
};
const hexEscapeDigits: Record<string, number> = { x: 2, u: 4, U: 8 };

/** Recursive descent over the grammar text as code points. */
class Parser {
  private readonly chars: string[];
  private readonly places: Place[];
  private pos = 0;

  constructor(text: string) {
    this.chars = Array.from(text);
    this.places = [];
    let line = 1;
    let column = 1;
    for (const c of this.chars) {
      this.places.push({ line, column });
      if (c === '\n') {
        line += 1;
        column = 1;
      } else column += 1;
    }
    this.places.push({ line, column });
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  private place(index = this.pos): Place {
    return this.places[index] as Place;
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos += 1;
      else if (c === '#') while (this.peek() !== undefined && this.peek() !== '\n') this.pos += 1;
      else return;
    }
  }

  private readName(): string {
    let name = '';
    while (isNameChar(this.peek())) name += this.chars[this.pos++];
    return name;
  }

  /** Whether a `name ::=` (the start of the next rule) begins at the current position. */
  private atRuleStart(): boolean {
    if (!isNameStart(this.peek())) return false;
    const saved = this.pos;
    this.readName();
    this.skipSpace();
    const result = this.peek() === ':' && this.peek(1) === ':' && this.peek(2) === '=';
    this.pos = saved;
    return result;
  }

  parseRules(): Rule[] {
    const rules: Rule[] = [];
    this.skipSpace();
    while (this.peek() !== undefined) {
      const at = this.place();
      if (!isNameStart(this.peek())) refuse(`expected a rule name, found '${this.peek()}'`, at);
      const name = this.readName();
      this.skipSpace();
      if (!(this.peek() === ':' && this.peek(1) === ':' && this.peek(2) === '='))
        refuse(`expected '::=' after rule name '${name}'`, this.place());
      this.pos += 3;
      const body = this.parseAlternatives();
      // parseAlternatives stops only at a ')', the next rule or the end.
      if (this.peek() === ')') refuse("unmatched ')'", this.place());
      rules.push({ name, at, body });
    }
    return rules;
  }

  /** Alternatives up to a `)`, the next rule or the end; leaves the position there. */
  private parseAlternatives(): Expr {
    const options = [this.parseSequence()];
    while (this.peek() === '|') {
      this.pos += 1;
      options.push(this.parseSequence());
    }
    return options.length === 1 ? (options[0] as Expr) : { kind: 'alt', options };
  }

  private parseSequence(): Expr {
    const items: Expr[] = [];
    for (;;) {
      this.skipSpace();
      const c = this.peek();
      const at = this.place();
      if (c === undefined || c === '|' || c === ')' || this.atRuleStart()) break;
      if (c === '"') items.push(this.parseLiteral());
      else if (c === '[') items.push(this.parseClass());
      else if (c === '.') {
        this.pos += 1;
        items.push({ kind: 'chars', set: CodePointSet.any() });
      } else if (c === '(') {
        this.pos += 1;
        const inner = this.parseAlternatives();
        if (this.peek() !== ')') refuse("unterminated group: no ')' for this '('", at);
        this.pos += 1;
        items.push(inner);
      } else if (isNameStart(c)) items.push({ kind: 'ref', name: this.readName(), at });
      else if (c === '*' || c === '+' || c === '?' || c === '{')
        refuse(`'${c}' has nothing before it to repeat`, at);
      else refuse(`unexpected '${c}'`, at);
      this.parsePostfixes(items);
    }
    return items.length === 1 ? (items[0] as Expr) : { kind: 'seq', items };
  }

  /** Applies `* + ? {n} {n,} {n,m}` following the last item, innermost first. */
  private parsePostfixes(items: Expr[]): void {
    for (;;) {
      this.skipSpace();
      const c = this.peek();
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, Infinity];
      else if (c === '+') [min, max] = [1, Infinity];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') [min, max] = this.parseBounds();
      else return;
      if (c !== '{') this.pos += 1;
      const item = items.pop() as Expr;
      items.push({ kind: 'repeat', item, min, max });
    }
  }

  /** `{n}`, `{n,}` or `{n,m}` at the current `{`; refused at the `{`. */
  private parseBounds(): [number, number] {
    const at = this.place();
    this.pos += 1;
    const readInt = (): number => {
      this.skipSpace();
      if (!isDigit(this.peek())) refuse("malformed repetition: expected a number in '{...}'", at);
      let digits = '';
      while (isDigit(this.peek())) digits += this.chars[this.pos++];
      this.skipSpace();
      const value = Number(digits);
      if (value > maxRepetitionBound)
        refuse(`repetition bound ${digits} is over the limit of ${maxRepetitionBound}`, at);
      return value;
    };
    const min = readInt();
    let max = min;
    if (this.peek() === ',') {
      this.pos += 1;
      this.skipSpace();
      max = this.peek() === '}' ? Infinity : readInt();
    }
    if (this.peek() !== '}') refuse("malformed repetition: expected '}'", at);
    this.pos += 1;
    if (max < min) refuse(`repetition {${min},${max}} has its maximum below its minimum`, at);
    return [min, max];
  }

  /** One character of a literal or class, escapes decoded, as a code point. */
  private parseChar(): number {
    const at = this.place();
    const c = this.chars[this.pos++] as string;
    let value: number;
    if (c !== '\\') value = c.codePointAt(0) as number;
    else {
      const e = this.chars[this.pos++];
      const simple = e === undefined ? undefined : simpleEscapes[e];
      const digits = e === undefined ? undefined : hexEscapeDigits[e];
      if (simple !== undefined) value = simple.codePointAt(0) as number;
      else if (digits !== undefined) {
        let hex = '';
        for (let i = 0; i < digits; i += 1) {
          if (!isHex(this.peek())) refuse(`malformed escape: '\\${e}' needs ${digits} hex digits`, at);
          hex += this.chars[this.pos++];
        }
        value = Number.parseInt(hex, 16);
        if (value > maxCodePoint) refuse(`malformed escape: U+${hex} is beyond U+10FFFF`, at);
      } else refuse(`malformed escape: '\\${e ?? ''}' is not an escape of this dialect`, at);
    }
    if (value >= surrogateFirst && value <= surrogateLast)
      refuse(`a surrogate code point (U+${value.toString(16).toUpperCase()}) cannot be matched`, at);
    return value;
  }

  private parseLiteral(): Expr {
    const at = this.place();
    this.pos += 1;
    const items: Expr[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined) refuse("unterminated literal: no closing '\"'", at);
      if (c === '"') break;
      const cp = this.parseChar();
      items.push({ kind: 'chars', set: CodePointSet.of([[cp, cp]]) });
    }
    this.pos += 1;
    return items.length === 1 ? (items[0] as Expr) : { kind: 'seq', items };
  }

  private parseClass(): Expr {
    const at = this.place();
    this.pos += 1;
    const negated = this.peek() === '^';
    if (negated) this.pos += 1;
    const ranges: Range[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined) refuse("unterminated class: no closing ']'", at);
      if (c === ']') break;
      const rangeAt = this.place();
      const lo = this.parseChar();
      let hi = lo;
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos += 1;
        hi = this.parseChar();
        if (hi < lo) refuse('empty class: a range runs backwards', rangeAt);
      }
      ranges.push([lo, hi]);
    }
    this.pos += 1;
    if (ranges.length === 0) refuse('empty class', at);
    const set = negated ? CodePointSet.of(ranges).complement() : CodePointSet.of(ranges);
    if (set.isEmpty()) refuse('empty class: it matches no character', at);
    return { kind: 'chars', set };
  }
}

// ---------------------------------------------------------------------------------------------------
// Checks on the whole grammar

/** Rules that derive the empty text, to a fixpoint. */
function nullableRules(rules: Map<string, Rule>): Set<string> {
  const nullable = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const rule of rules.values())
      if (!nullable.has(rule.name) && isNullable(rule.body, nullable)) {
        nullable.add(rule.name);
        changed = true;
      }
  }
  return nullable;
}

function isNullable(e: Expr, nullable: Set<string>): boolean {
  switch (e.kind) {
    case 'chars':
      return false;
    case 'ref':
      return nullable.has(e.name);
    case 'seq':
      return e.items.every((item) => isNullable(item, nullable));
    case 'alt':
      return e.options.some((option) => isNullable(option, nullable));
    case 'repeat':
      return e.min === 0 || isNullable(e.item, nullable);
  }
}

/** Rules that can be entered at the start of `e` before any byte is consumed. */
function leftRefs(e: Expr, nullable: Set<string>, out: Set<string>): void {
  switch (e.kind) {
    case 'chars':
      return;
    case 'ref':
      out.add(e.name);
      return;
    case 'seq':
      for (const item of e.items) {
        leftRefs(item, nullable, out);
        if (!isNullable(item, nullable)) return;
      }
      return;
    case 'alt':
      for (const option of e.options) leftRefs(option, nullable, out);
      return;
    case 'repeat':
      if (e.max > 0) leftRefs(e.item, nullable, out);
      return;
  }
}

function forEachRef(e: Expr, visit: (ref: Extract<Expr, { kind: 'ref' }>) => void): void {
  if (e.kind === 'ref') visit(e);
  else if (e.kind === 'seq') for (const item of e.items) forEachRef(item, visit);
  else if (e.kind === 'alt') for (const option of e.options) forEachRef(option, visit);
  else if (e.kind === 'repeat') forEachRef(e.item, visit);
}

function checkGrammar(ruleList: Rule[]): Map<string, Rule> {
  const rules = new Map<string, Rule>();
  for (const rule of ruleList) {
    const first = rules.get(rule.name);
    if (first) refuse(`rule '${rule.name}' is defined twice (first at line ${first.at.line})`, rule.at);
    rules.set(rule.name, rule);
  }
  for (const rule of ruleList)
    forEachRef(rule.body, (ref) => {
      if (!rules.has(ref.name)) refuse(`undefined rule '${ref.name}'`, ref.at);
    });
  if (!rules.has('root')) refuse("no rule named 'root'", { line: 1, column: 1 });

  const nullable = nullableRules(rules);
  const edges = new Map<string, Set<string>>();
  for (const rule of ruleList) {
    const out = new Set<string>();
    leftRefs(rule.body, nullable, out);
    edges.set(rule.name, out);
  }
  for (const rule of ruleList) {
    // Breadth-first from the rule's left edges, remembering a parent to print the cycle.
    const parent = new Map<string, string>();
    const queue = [...(edges.get(rule.name) ?? [])];
    for (const next of queue) parent.set(next, rule.name);
    while (queue.length > 0) {
      const current = queue.shift() as string;
      if (current === rule.name) {
        const cycle = [rule.name];
        for (let at = parent.get(rule.name) as string; at !== rule.name; at = parent.get(at) as string)
          cycle.unshift(at);
        cycle.unshift(rule.name);
        refuse(
          `left recursion: rule '${rule.name}' reaches itself without consuming a byte (${cycle.join(' -> ')})`,
          rule.at,
        );
      }
      for (const next of edges.get(current) ?? [])
        if (!parent.has(next)) {
          parent.set(next, current);
          queue.push(next);
        }
    }
  }
  return rules;
}

// ---------------------------------------------------------------------------------------------------
// Lowering to BNF: nonterminals are numbers, terminals are code point sets.

type Sym = { nt: number } | { set: CodePointSet };

interface Production {
  lhs: number;
  rhs: Sym[];
}

class Lowering {
  readonly productions: Production[] = [];
  private nextNonterminal: number;
  private readonly ruleIds = new Map<string, number>();

  constructor(rules: Map<string, Rule>) {
    let id = 0;
    for (const name of rules.keys()) this.ruleIds.set(name, id++);
    this.nextNonterminal = id;
    for (const rule of rules.values()) this.addAlternatives(this.ruleId(rule.name), rule.body);
  }

  ruleId(name: string): number {
    return this.ruleIds.get(name) as number;
  }

  private fresh(): number {
    return this.nextNonterminal++;
  }

  private addAlternatives(lhs: number, e: Expr): void {
    const options = e.kind === 'alt' ? e.options : [e];
    for (const option of options) {
      const items = option.kind === 'seq' ? option.items : [option];
      this.productions.push({ lhs, rhs: items.map((item) => this.symbol(item)) });
    }
  }

  private symbol(e: Expr): Sym {
    switch (e.kind) {
      case 'chars':
        return { set: e.set };
      case 'ref':
        return { nt: this.ruleId(e.name) };
      case 'seq':
      case 'alt': {
        const nt = this.fresh();
        this.addAlternatives(nt, e);
        return { nt };
      }
      case 'repeat':
        return { nt: this.repeat(this.symbol(e.item), e.min, e.max) };
    }
  }

  /** x{min,max} as: min copies of x, then x* (max infinite) or a chain of (max - min) optionals. */
  private repeat(x: Sym, min: number, max: number): number {
    let tail: number;
    if (max === Infinity) {
      // Left recursive (star ::= star x | ε): Earley handles it in linear space per set.
      tail = this.fresh();
      this.productions.push({ lhs: tail, rhs: [{ nt: tail }, x] }, { lhs: tail, rhs: [] });
    } else {
      tail = this.fresh();
      this.productions.push({ lhs: tail, rhs: [] });
      for (let i = 0; i < max - min; i += 1) {
        const optional = this.fresh();
        this.productions.push({ lhs: optional, rhs: [x, { nt: tail }] }, { lhs: optional, rhs: [] });
        tail = optional;
      }
    }
    const nt = this.fresh();
    this.productions.push({ lhs: nt, rhs: [...Array.from({ length: min }, () => x), { nt: tail }] });
    return nt;
  }
}

/** Keeps only productions whose every nonterminal derives some finite text. */
function productiveOnly(productions: Production[]): Production[] {
  const productive = new Set<number>();
  const allProductive = (p: Production) => p.rhs.every((s) => !('nt' in s) || productive.has(s.nt));
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of productions)
      if (!productive.has(p.lhs) && allProductive(p)) {
        productive.add(p.lhs);
        changed = true;
      }
  }
  return productions.filter(allProductive);
}

function nullableNonterminals(productions: Production[]): Set<number> {
  const nullable = new Set<number>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of productions)
      if (!nullable.has(p.lhs) && p.rhs.every((s) => 'nt' in s && nullable.has(s.nt))) {
        nullable.add(p.lhs);
        changed = true;
      }
  }
  return nullable;
}

// ---------------------------------------------------------------------------------------------------
// UTF-8: what the bytes seen so far of one character allow.

/** Code points whose UTF-8 encoding has each length 1..4. */
const codePointsByLength: Record<number, Range> = {
  1: [0, 0x7f],
  2: [0x80, 0x7ff],
  3: [0x800, 0xffff],
  4: [0x10000, maxCodePoint],
};

/**
 * The code points whose UTF-8 encoding starts with `bytes` (a whole encoding or a proper prefix),
 * as [lo, hi, complete]; undefined when none does. UTF-8 keeps code point order, so the code points
 * sharing a prefix are the range between the prefix padded with 0x80s and padded with 0xBFs,
 * clipped to the code points of that encoded length (this drops overlong forms and values past
 * U+10FFFF; surrogates are never in a CodePointSet).
 */
function codePointsWithPrefix(bytes: number[]): [number, number, boolean] | undefined {
  const lead = bytes[0] as number;
  const length = lead < 0x80 ? 1 : lead < 0xc0 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf8 ? 4 : 0;
  if (length === 0 || bytes.length > length) return undefined;
  if (bytes.slice(1).some((b) => b < 0x80 || b > 0xbf)) return undefined;
  const assemble = (pad: number) => {
    const full = [...bytes, ...Array.from({ length: length - bytes.length }, () => pad)];
    const leadBits = length === 1 ? 0x7f : 0xff >> (length + 1);
    return full.slice(1).reduce((acc, b) => (acc << 6) | (b & 0x3f), (full[0] as number) & leadBits);
  };
  const [min, max] = codePointsByLength[length] as Range;
  const lo = Math.max(assemble(0x80), min);
  const hi = Math.min(assemble(0xbf), max);
  return lo <= hi ? [lo, hi, bytes.length === length] : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Earley recognizer

interface Item {
  production: number;
  dot: number;
  origin: number;
  /** Bytes of the terminal at `dot` read so far (a partial UTF-8 character); empty between terminals. */
  partial: number[];
}

type Chart = Item[][];

const toBytes = (input: Uint8Array | string): Uint8Array =>
  typeof input === 'string' ? new TextEncoder().encode(input) : input;

export class ReferenceGrammar {
  private readonly productions: Production[];
  private readonly byLhs = new Map<number, number[]>();
  private readonly nullable: Set<number>;
  private readonly root: number;

  private constructor(rules: Map<string, Rule>) {
    const lowering = new Lowering(rules);
    this.root = lowering.ruleId('root');
    this.productions = productiveOnly(lowering.productions);
    this.productions.forEach((p, index) => {
      this.byLhs.set(p.lhs, [...(this.byLhs.get(p.lhs) ?? []), index]);
    });
    this.nullable = nullableNonterminals(this.productions);
  }

  /** Parses grammar text; every refusal is a ConstraintError with `line` and `column`. */
  static parse(text: string): ReferenceGrammar {
    return new ReferenceGrammar(checkGrammar(new Parser(text).parseRules()));
  }

  /** Whether the whole text matches `root`. */
  accepts(input: Uint8Array | string): boolean {
    const bytes = toBytes(input);
    const chart = this.chart(bytes);
    return (chart[bytes.length] ?? []).some((item) => {
      const p = this.productions[item.production] as Production;
      return p.lhs === this.root && item.origin === 0 && item.dot === p.rhs.length;
    });
  }

  /** Whether the text can be extended (by zero or more bytes) to a full match. */
  acceptsPrefix(input: Uint8Array | string): boolean {
    const bytes = toBytes(input);
    // Every production kept is productive, so any item the chart holds can still be finished.
    return (this.chart(bytes)[bytes.length] ?? []).length > 0;
  }

  /** The bytes b such that acceptsPrefix(prefix + b). */
  allowedNextBytes(prefix: Uint8Array | string): Set<number> {
    const bytes = toBytes(prefix);
    const last = this.chart(bytes)[bytes.length] ?? [];
    const allowed = new Set<number>();
    for (let b = 0; b < 256; b += 1)
      if (last.some((item) => this.scan(item, b) !== undefined)) allowed.add(b);
    return allowed;
  }

  /** Reads byte b with the item; the item that results, or undefined when b is not allowed there. */
  private scan(item: Item, b: number): Item | undefined {
    const sym = (this.productions[item.production] as Production).rhs[item.dot];
    if (sym === undefined || 'nt' in sym) return undefined;
    const partial = [...item.partial, b];
    const range = codePointsWithPrefix(partial);
    if (range === undefined || !sym.set.intersects(range[0], range[1])) return undefined;
    return range[2] ? { ...item, dot: item.dot + 1, partial: [] } : { ...item, partial };
  }

  /** Earley sets 0..n, with nullable nonterminals stepped over when predicted (Aycock-Horspool). */
  private chart(bytes: Uint8Array): Chart {
    const chart: Chart = [];
    const keys: Set<string>[] = [];
    // Per set, the items whose next symbol is a given nonterminal: what a completion advances.
    const waitingOn: Map<number, Item[]>[] = [];
    const add = (set: number, item: Item) => {
      chart[set] ??= [];
      keys[set] ??= new Set();
      waitingOn[set] ??= new Map();
      const key = `${item.production},${item.dot},${item.origin},${item.partial.join('.')}`;
      if (keys[set].has(key)) return;
      keys[set].add(key);
      chart[set].push(item);
      const next = (this.productions[item.production] as Production).rhs[item.dot];
      if (next !== undefined && 'nt' in next) {
        const list = waitingOn[set].get(next.nt);
        if (list) list.push(item);
        else waitingOn[set].set(next.nt, [item]);
      }
    };
    for (const production of this.byLhs.get(this.root) ?? [])
      add(0, { production, dot: 0, origin: 0, partial: [] });

    for (let i = 0; i <= bytes.length; i += 1) {
      const set = chart[i] ?? [];
      chart[i] = set;
      for (let k = 0; k < set.length; k += 1) {
        const item = set[k] as Item;
        const p = this.productions[item.production] as Production;
        const sym = p.rhs[item.dot];
        if (sym === undefined) {
          // When origin === i, items that start waiting later are advanced at prediction instead.
          for (const waiting of waitingOn[item.origin]?.get(p.lhs) ?? [])
            add(i, { ...waiting, dot: waiting.dot + 1 });
        } else if ('nt' in sym) {
          for (const production of this.byLhs.get(sym.nt) ?? [])
            add(i, { production, dot: 0, origin: i, partial: [] });
          if (this.nullable.has(sym.nt)) add(i, { ...item, dot: item.dot + 1 });
        } else if (i < bytes.length) {
          const next = this.scan(item, bytes[i] as number);
          if (next) add(i + 1, next);
        }
      }
      if (i < bytes.length && (chart[i + 1] ?? []).length === 0) {
        // Nothing survives the byte: no later set can fill either.
        for (let j = i + 1; j <= bytes.length; j += 1) chart[j] = [];
        break;
      }
    }
    return chart;
  }
}
