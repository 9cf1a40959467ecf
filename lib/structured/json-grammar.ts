/**
 * Grammar pieces every JSON kind shares (JSON Schema, any JSON object): optional whitespace, string
 * characters, numbers and a JSON value of bounded nesting.
 */
import { complement, intersect, normalize } from './code-points.js';
import { type CodePointRanges, characterClass, literal, type RuleSet, repeat } from './grammar-text.js';

/**
 * Longest whitespace run allowed where JSON allows whitespace. Bounded, so a sampler that favours
 * spaces or newlines still has to make progress: the output stays finite.
 */
export const maxWhitespaceRun = 16;

/**
 * Deepest nesting of objects and arrays in a value the schema leaves open (`true`, `{}`, any JSON
 * object): the rules are unrolled per depth rather than recursive, so the grammar is finite-state
 * and the matcher's stack stays bounded whatever a sampler picks.
 */
export const maxJsonDepth = 16;

/** JSON.stringify writes integers below 1e21 in full; one more digit is never needed. */
export const maxIntegerDigits = 21;
/** Fraction digits: enough for any double JSON.stringify writes without an exponent (1e-7 and up). */
export const maxFractionDigits = 24;

/** Optional whitespace between JSON tokens; the rule is named `ws`. */
export function ws(rules: RuleSet): string {
  return rules.define('ws', `[ \\t\\n]{0,${maxWhitespaceRun}}`);
}

/** Code points a JSON string may hold unescaped. */
const rawStringCharacters = complement([
  [0x00, 0x1f],
  [0x22, 0x22],
  [0x5c, 0x5c],
]);

/**
 * One character of a JSON string body, as ajv counts characters (one code point, so `\n` and
 * `\u00e9` count one). `\u` escapes of surrogates are left out: a lone one is not well-formed text,
 * and a pair would count as two escapes but one character.
 */
export function jsonChar(rules: RuleSet): string {
  const hex = '[0-9a-fA-F]';
  return rules.define(
    'json-char',
    `${characterClass(rawStringCharacters)} | "\\\\" ["\\\\/bfnrt] | "\\\\u" ([0-9a-cA-CeEfF] ${hex}{3} | [dD] [0-7] ${hex}{2})`,
  );
}

/** How JSON.stringify writes one code point inside a string (without the quotes). */
function stringifiedChar(cp: number): string {
  return JSON.stringify(String.fromCodePoint(cp)).slice(1, -1);
}

/**
 * One JSON string character whose decoded code point lies in `set`: the code point itself where
 * JSON allows it raw, else the escape JSON.stringify writes (and `\/` for `/`). Other escapes
 * (`\u0041` for `A`) decode to the same text but are not offered: a subset, never a wrong string.
 */
export function jsonCharIn(set: CodePointRanges): string | undefined {
  const options: string[] = [];
  const raw = intersect(set, rawStringCharacters);
  if (raw.length) options.push(characterClass(raw));
  for (const [lo, hi] of intersect(
    set,
    normalize([
      [0x00, 0x1f],
      [0x22, 0x22],
      [0x5c, 0x5c],
      [0x2f, 0x2f],
    ]),
  ))
    for (let cp = lo; cp <= hi; cp++)
      if (cp !== 0x2f) options.push(literal(stringifiedChar(cp)));
      else options.push(literal('\\/'));
  return options.length ? options.join(' | ') : undefined;
}

/** A JSON string of minLength..maxLength characters (code points). */
export function jsonString(rules: RuleSet, minLength = 0, maxLength?: number): string {
  const char = jsonChar(rules);
  const body = `"\\"" ${repeat(char, minLength, maxLength)} "\\""`;
  return minLength === 0 && maxLength === undefined
    ? rules.define('json-string', body)
    : rules.add('string', body);
}

/**
 * A decimal exponent that keeps any mantissa below 1e21 finite (ajv rejects Infinity, which
 * `1e999` parses to): negative exponents only underflow towards 0, positive ones stop at 287.
 */
function exponent(rules: RuleSet): string {
  return rules.define(
    'json-exponent',
    '[eE] ( "-" [0-9]{1,3} | "+"? ([0-9]{1,2} | "1" [0-9]{2} | "2" [0-7] [0-9] | "28" [0-7]) )',
  );
}

/** A JSON integer without leading zeros or `-0`, at most maxIntegerDigits digits. */
export function jsonInteger(rules: RuleSet): string {
  return rules.define('json-integer', `"0" | "-"? [1-9] [0-9]{0,${maxIntegerDigits - 1}}`);
}

/**
 * A fixed JSON value (const, enum): JSON.stringify's text, with the optional whitespace between
 * the tokens of objects and arrays that any other JSON value may have.
 */
export function jsonConstant(rules: RuleSet, value: unknown): string {
  const w = ws(rules);
  const join = (items: string[]) => items.join(` "," ${w} `);
  if (Array.isArray(value))
    return value.length
      ? `"[" ${w} ${join(value.map((v) => jsonConstant(rules, v)))} ${w} "]"`
      : `"[" ${w} "]"`;
  if (typeof value === 'object' && value !== null) {
    const members = Object.entries(value).map(
      ([k, v]) => `${literal(JSON.stringify(k))} ":" ${w} ${jsonConstant(rules, v)}`,
    );
    return members.length ? `"{" ${w} ${join(members)} ${w} "}"` : `"{" ${w} "}"`;
  }
  return literal(JSON.stringify(value));
}

/** Any finite JSON number (no `-0` spelled as an integer; fractions and exponents allowed). */
export function jsonNumber(rules: RuleSet): string {
  const integerPart = `("0" | [1-9] [0-9]{0,${maxIntegerDigits - 1}})`;
  return rules.define(
    'json-number',
    `"-"? ${integerPart} ("." [0-9]{1,${maxFractionDigits}})? ${exponent(rules)}?`,
  );
}

/**
 * Any JSON value nested at most `depth` levels more (rules `json-value-N`); at 0 only scalars. A
 * `true` schema and the `json_object` format both use these.
 */
export function jsonValue(rules: RuleSet, depth: number = maxJsonDepth): string {
  const scalars = `${jsonString(rules)} | ${jsonNumber(rules)} | "true" | "false" | "null"`;
  if (depth <= 0) return rules.define('json-scalar', scalars);
  return rules.define(
    `json-value-${depth}`,
    `${jsonObject(rules, depth)} | ${jsonArray(rules, depth)} | ${scalars}`,
  );
}

/** Any JSON object whose values nest at most depth - 1 more levels. */
export function jsonObject(rules: RuleSet, depth: number = maxJsonDepth): string {
  const w = ws(rules);
  const member = `${jsonString(rules)} ":" ${w} ${jsonValue(rules, depth - 1)}`;
  return rules.define(`json-object-${depth}`, `"{" ${w} (${member} ("," ${w} ${member})* ${w})? "}"`);
}

function jsonArray(rules: RuleSet, depth: number): string {
  const w = ws(rules);
  const item = jsonValue(rules, depth - 1);
  return rules.define(`json-array-${depth}`, `"[" ${w} (${item} ("," ${w} ${item})* ${w})? "]"`);
}
