/**
 * JavaScript regular expressions (as with the `u` flag, which ajv's `pattern` uses) to grammar
 * text. The language is kept exactly: literals, escapes, classes, `.`, groups, alternation and
 * quantifiers (lazy ones accept the same strings). Anchors are accepted only where they anchor a
 * whole top-level alternative; backreferences, lookarounds, word boundaries, Unicode property
 * escapes and flags groups are refused with the column.
 */
import {
  asciiDigits,
  asciiWordCharacters,
  complement,
  jsWhitespace,
  lineTerminators,
  maxCodePoint,
  normalize,
} from './code-points.js';
import {
  type CodePointRanges,
  characterClass,
  group,
  literal,
  RuleSet,
  regexError,
  repeat,
} from './grammar-text.js';
import { jsonChar, jsonCharIn } from './json-grammar.js';

type RegexNode =
  | { kind: 'alternation'; options: RegexNode[] }
  | { kind: 'sequence'; items: RegexNode[] }
  | { kind: 'set'; ranges: CodePointRanges }
  | { kind: 'repeat'; node: RegexNode; min: number; max: number | undefined }
  | { kind: 'anchor'; at: 'start' | 'end'; column: number };

const syntaxCharacters = new Set('^$\\.*+?()[]{}|/');

class RegexParser {
  private readonly chars: string[];
  private index = 0;
  constructor(
    pattern: string,
    private readonly path?: string,
  ) {
    this.chars = [...pattern];
  }

  private fail(message: string, index = this.index): never {
    throw regexError(`pattern: ${message}`, index + 1, this.path);
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.index + offset];
  }

  parse(): RegexNode {
    const node = this.alternation();
    if (this.index < this.chars.length) this.fail(`unmatched '${this.peek()}'`);
    return node;
  }

  private alternation(): RegexNode {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.index++;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] as RegexNode) : { kind: 'alternation', options };
  }

  private sequence(): RegexNode {
    const items: RegexNode[] = [];
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) {
      const start = this.index;
      const atom = this.atom();
      const quantified = this.quantifier(atom, start);
      items.push(quantified);
    }
    return { kind: 'sequence', items };
  }

  private quantifier(atom: RegexNode, atomIndex: number): RegexNode {
    const c = this.peek();
    let min: number;
    let max: number | undefined;
    const at = this.index;
    if (c === '*') [min, max] = [0, undefined];
    else if (c === '+') [min, max] = [1, undefined];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const rest = this.chars.slice(this.index).join('');
      const match = /^\{(\d+)(,(\d*))?\}/.exec(rest);
      if (!match) this.fail("'{' that is not a quantifier {n}, {n,} or {n,m}");
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] ? Number(match[3]) : undefined;
      if (max !== undefined && max < min) this.fail('quantifier {n,m} with m < n');
      this.index += [...match[0]].length - 1;
    } else return atom;
    this.index++;
    if (atom.kind === 'anchor') this.fail('a quantified anchor', at);
    if (this.peek() === '?') this.index++; // lazy: same language
    if ('*+?{'.includes(this.peek() ?? '#')) this.fail('a quantifier after a quantifier');
    void atomIndex;
    return { kind: 'repeat', node: atom, min, max };
  }

  private atom(): RegexNode {
    const start = this.index;
    const c = this.peek() as string;
    this.index++;
    switch (c) {
      case '^':
        return { kind: 'anchor', at: 'start', column: start + 1 };
      case '$':
        return { kind: 'anchor', at: 'end', column: start + 1 };
      case '.':
        return { kind: 'set', ranges: complement(lineTerminators) };
      case '[':
        return this.characterClassBody(start);
      case '(':
        return this.groupBody(start);
      case '\\':
        return this.atomEscape(start);
      case '*':
      case '+':
      case '?':
        return this.fail(`nothing to repeat before '${c}'`, start);
      case '{':
      case '}':
      case ']':
        return this.fail(`a lone '${c}' (a syntax error with the u flag)`, start);
      default:
        return single(c.codePointAt(0) ?? 0);
    }
  }

  private groupBody(start: number): RegexNode {
    if (this.peek() === '?') {
      const next = this.peek(1);
      if (next === ':') this.index += 2;
      else if (next === '=' || next === '!') this.fail('lookahead is not supported', start);
      else if (next === '<' && (this.peek(2) === '=' || this.peek(2) === '!'))
        this.fail('lookbehind is not supported', start);
      else if (next === '<') {
        const rest = this.chars.slice(this.index).join('');
        const match = /^\?<[A-Za-z_$][\w$]*>/.exec(rest);
        if (!match) this.fail('a malformed group name', start);
        this.index += match[0].length;
      } else this.fail('group modifiers (?flags:...) are not supported', start);
    }
    const inner = this.alternation();
    if (this.peek() !== ')') this.fail("an unclosed '('", start);
    this.index++;
    return inner;
  }

  /** An escape outside a class. */
  private atomEscape(start: number): RegexNode {
    const c = this.peek();
    if (c === undefined) this.fail('a trailing backslash', start);
    if (c === 'b' || c === 'B') this.fail(`word boundary \\${c} is not supported`, start);
    if (/[1-9]/.test(c) || c === 'k') this.fail('backreferences are not supported', start);
    const set = this.characterEscape(start, false);
    return { kind: 'set', ranges: set };
  }

  /** An escape (after the backslash) standing for a set of code points. */
  private characterEscape(start: number, inClass: boolean): CodePointRanges {
    const c = this.peek() as string;
    this.index++;
    const classes: Record<string, CodePointRanges> = {
      d: asciiDigits,
      D: complement(asciiDigits),
      w: asciiWordCharacters,
      W: complement(asciiWordCharacters),
      s: jsWhitespace,
      S: complement(jsWhitespace),
    };
    const known = classes[c];
    if (known) return known;
    const controls: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, f: 0x0c };
    const control = controls[c];
    if (control !== undefined) return [[control, control]];
    if (c === 'b' && inClass) return [[0x08, 0x08]];
    if (c === '0' && !/[0-9]/.test(this.peek() ?? '')) return [[0, 0]];
    if (c === 'p' || c === 'P') this.fail('Unicode property escapes are not supported', start);
    if (c === 'c') {
      const letter = this.peek();
      if (!letter || !/[A-Za-z]/.test(letter)) this.fail('a malformed \\c escape', start);
      this.index++;
      const cp = (letter.codePointAt(0) ?? 0) % 32;
      return [[cp, cp]];
    }
    if (c === 'x') return this.hexEscape(start, 2);
    if (c === 'u') {
      if (this.peek() === '{') {
        const rest = this.chars.slice(this.index).join('');
        const match = /^\{([0-9a-fA-F]+)\}/.exec(rest);
        const cp = match ? Number.parseInt(match[1] as string, 16) : Number.NaN;
        if (!match || cp > maxCodePoint) this.fail('a malformed \\u{...} escape', start);
        this.index += match[0].length;
        return [[cp, cp]];
      }
      const high = this.hexEscape(start, 4)[0]?.[0] ?? 0;
      // A surrogate pair written as two escapes is one code point.
      if (high >= 0xd800 && high <= 0xdbff && this.peek() === '\\' && this.peek(1) === 'u') {
        const saved = this.index;
        this.index += 2;
        const low = this.hexEscape(start, 4)[0]?.[0] ?? 0;
        if (low >= 0xdc00 && low <= 0xdfff) {
          const cp = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
          return [[cp, cp]];
        }
        this.index = saved;
      }
      return [[high, high]];
    }
    if (syntaxCharacters.has(c) || (inClass && c === '-')) {
      const cp = c.codePointAt(0) ?? 0;
      return [[cp, cp]];
    }
    return this.fail(`the escape \\${c} is not valid with the u flag`, start);
  }

  private hexEscape(start: number, digits: number): CodePointRanges {
    const text = this.chars.slice(this.index, this.index + digits).join('');
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(text)) this.fail('a malformed hex escape', start);
    this.index += digits;
    const cp = Number.parseInt(text, 16);
    return [[cp, cp]];
  }

  private characterClassBody(start: number): RegexNode {
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.index++;
    }
    const ranges: [number, number][] = [];
    const classAtom = (): { set: CodePointRanges; single?: number } => {
      const at = this.index;
      const c = this.peek();
      if (c === undefined) this.fail("an unclosed '['", start);
      this.index++;
      if (c !== '\\') {
        const cp = c.codePointAt(0) ?? 0;
        return { set: [[cp, cp]], single: cp };
      }
      const set = this.characterEscape(at, true);
      const first = set[0];
      return set.length === 1 && first && first[0] === first[1] ? { set, single: first[0] } : { set };
    };
    while (this.peek() !== ']') {
      const at = this.index;
      const from = classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.index++;
        const to = classAtom();
        if (from.single === undefined || to.single === undefined)
          this.fail('a class range with a class escape as an end', at);
        if (to.single < from.single) this.fail('a class range out of order', at);
        ranges.push([from.single, to.single]);
      } else ranges.push(...from.set.map(([a, b]) => [a, b] as [number, number]));
    }
    this.index++;
    const set = normalize(ranges);
    return { kind: 'set', ranges: negate ? complement(set) : set };
  }
}

function single(cp: number): RegexNode {
  return { kind: 'set', ranges: [[cp, cp]] };
}

/** How a set of code points is written: as raw text, or as characters inside a JSON string. */
type Encoding = 'raw' | 'json-string';

/**
 * The grammar expression of a node; undefined for the empty language (an empty class). `rules`,
 * when given, names each set written as JSON string characters (many alternatives: a class plus
 * the escapes), so a pattern with several `.` or `\\w` holds each once.
 */
function emit(node: RegexNode, encoding: Encoding, path?: string, rules?: RuleSet): string | undefined {
  switch (node.kind) {
    case 'set': {
      if (node.ranges.length === 0) return undefined;
      if (encoding === 'json-string') {
        const chars = jsonCharIn(node.ranges);
        return chars && rules && chars.includes('|') ? rules.add('pattern-char', chars) : chars;
      }
      const [only] = node.ranges;
      if (node.ranges.length === 1 && only && only[0] === only[1])
        return literal(String.fromCodePoint(only[0]));
      return characterClass(node.ranges);
    }
    case 'sequence': {
      const parts: string[] = [];
      for (const item of node.items) {
        const part = emit(item, encoding, path, rules);
        if (part === undefined) return undefined;
        if (part !== '""') parts.push(part.includes('|') ? `(${part})` : part);
      }
      return parts.length ? parts.join(' ') : '""';
    }
    case 'alternation': {
      const options = node.options.map((o) => emit(o, encoding, path, rules)).filter((o) => o !== undefined);
      if (options.length === 0) return undefined;
      const nonEmpty = [...new Set(options.filter((o) => o !== '""'))];
      if (nonEmpty.length === 0) return '""';
      const joined = nonEmpty.join(' | ');
      return nonEmpty.length < options.length ? `(${joined})?` : joined;
    }
    case 'repeat': {
      const inner = emit(node.node, encoding, path, rules);
      if (inner === undefined) return node.min === 0 ? '""' : undefined;
      if (inner === '""' || node.max === 0) return '""';
      return repeat(group(inner), node.min, node.max);
    }
    case 'anchor':
      throw regexError(
        `pattern: '${node.at === 'start' ? '^' : '$'}' is supported only at the start or end of the pattern`,
        node.column,
        path,
      );
  }
}

/** Splits the top-level alternatives, each with whether it is anchored at its start and end. */
function topLevel(node: RegexNode): { node: RegexNode; start: boolean; end: boolean }[] {
  const options = node.kind === 'alternation' ? node.options : [node];
  return options.map((option) => {
    const items = option.kind === 'sequence' ? [...option.items] : [option];
    let start = false;
    let end = false;
    while (items[0]?.kind === 'anchor' && items[0].at === 'start') {
      items.shift();
      start = true;
    }
    while (
      items[items.length - 1]?.kind === 'anchor' &&
      (items[items.length - 1] as { at: string }).at === 'end'
    ) {
      items.pop();
      end = true;
    }
    return { node: { kind: 'sequence', items }, start, end };
  });
}

/**
 * Grammar text whose language is exactly the strings the regex matches in full (a response-format
 * regex: the whole output must match, so `^` and `$` at the ends change nothing).
 */
export function regexToGrammar(pattern: string): string {
  const parsed = new RegexParser(pattern).parse();
  const options = topLevel(parsed).map((o) => emit(o.node, 'raw'));
  const body = options.filter((o) => o !== undefined);
  if (body.length === 0) throw regexError('pattern: matches no string', 1);
  return new RuleSet().render(body.join(' | '));
}

/**
 * The body of a JSON string (between the quotes) whose decoded text the JSON Schema `pattern`
 * matches. `pattern` is unanchored: a side without its anchor may hold any characters.
 */
export function regexJsonStringBody(pattern: string, rules: RuleSet, path: string): string {
  const parsed = new RegexParser(pattern, path).parse();
  const anyChar = () => `${jsonChar(rules)}*`;
  const options: string[] = [];
  for (const option of topLevel(parsed)) {
    const body = emit(option.node, 'json-string', path, rules);
    if (body === undefined) continue;
    const parts = [
      option.start ? '' : anyChar(),
      body === '""' ? '' : group(body),
      option.end ? '' : anyChar(),
    ];
    const joined = parts.filter(Boolean).join(' ');
    options.push(joined || '""');
  }
  if (options.length === 0) throw regexError('pattern: matches no string', 1, path);
  return options.join(' | ');
}
