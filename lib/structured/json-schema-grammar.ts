/**
 * JSON Schema (draft 2020-12 keywords, plus draft-07 `definitions`) to grammar text. Every keyword
 * supported is enforced exactly: each string the grammar accepts validates against the schema
 * (ajv, with ajv-formats for `format`). Keywords that cannot be enforced by a context-free grammar
 * of bounded size (uniqueItems, not, if/then/else...) are refused, naming the keyword and the JSON
 * pointer of that keyword in the schema, as are malformed keyword values.
 *
 * Output shape: compact JSON, with an optional whitespace run (rule `ws`) wherever JSON allows
 * whitespace after `{`, `[`, `,`, `:` and before `}`, `]`; object properties in schema order.
 */
import { ConstraintError } from '../errors.js';
import { alternatives, group, literal, RuleSet, repeat } from './grammar-text.js';
import {
  jsonConstant,
  jsonInteger,
  jsonNumber,
  jsonString,
  jsonValue,
  maxJsonDepth,
  ws,
} from './json-grammar.js';
import {
  type DecimalBounds,
  decimalBound,
  decimalRange,
  fractionDigitsFor,
  integerRange,
} from './number-grammar.js';
import { regexJsonStringBody } from './regex-grammar.js';

export interface JsonSchemaGrammarOptions {
  /**
   * Nesting depth of a value the schema leaves open (`true`, `{}`, array items without `items`);
   * default maxJsonDepth. Bounded so the grammar stays finite-state there.
   */
  openValueDepth?: number;
}

type Schema = Record<string, unknown>;

/** Keywords that never change what validates. `$id` only at the root (elsewhere it moves $ref's base). */
const annotations = new Set([
  'title',
  'description',
  'examples',
  'default',
  '$schema',
  '$comment',
  'deprecated',
  'readOnly',
  'writeOnly',
]);
/** Places for subschemas that only $ref reaches. */
const definitionHolders = new Set(['$defs', 'definitions']);
const typeKeywords: Record<string, readonly string[]> = {
  object: ['properties', 'required', 'additionalProperties'],
  array: ['items', 'prefixItems', 'minItems', 'maxItems'],
  string: ['minLength', 'maxLength', 'format', 'pattern'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
};
const generalKeywords = new Set(['type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref']);
const supported = new Set([...generalKeywords, ...Object.values(typeKeywords).flat()]);
const jsonTypes = ['object', 'array', 'string', 'integer', 'number', 'boolean', 'null'] as const;
type JsonType = (typeof jsonTypes)[number];
const supportedFormats = new Set(['date', 'date-time', 'uuid']);

const pointerSegment = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');
const at = (path: string, ...keys: (string | number)[]) =>
  path + keys.map((k) => `/${pointerSegment(k)}`).join('');

function refuse(keyword: string, path: string, why: string): never {
  throw new ConstraintError(`JSON Schema: ${why} (keyword ${keyword} at ${path || '/'})`, { keyword, path });
}

const isSchemaObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON with sorted keys, so deep-equal values compare equal as text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isSchemaObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

function typeOfValue(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

/** Whether a value of JSON type `actual` satisfies `type: wanted` (integers are numbers too). */
const typeAdmits = (wanted: JsonType, actual: JsonType) =>
  wanted === actual || (wanted === 'number' && actual === 'integer');

function nonNegativeInteger(schema: Schema, keyword: string, path: string): number | undefined {
  const value = schema[keyword];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    refuse(keyword, at(path, keyword), `${keyword} must be a non-negative integer`);
  return value;
}

function finiteNumber(schema: Schema, keyword: string, path: string): number | undefined {
  const value = schema[keyword];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    refuse(keyword, at(path, keyword), `${keyword} must be a number`);
  return value;
}

/** What oneOf needs to know of a branch to prove two branches never match the same value. */
interface BranchShape {
  /** Types a value can have ('integer' folded into 'number'). */
  types: Set<string>;
  /** The only values allowed (canonical JSON), when const/enum fixes them. */
  values?: Set<string>;
  /** Required properties whose values const/enum fixes (object branches). */
  tags: Map<string, Set<string>>;
}

class SchemaCompiler {
  readonly rules = new RuleSet();
  private readonly refRules = new Map<string, string>();
  private readonly openDepth: number;

  constructor(
    private readonly root: unknown,
    options: JsonSchemaGrammarOptions,
  ) {
    this.openDepth = options.openValueDepth ?? maxJsonDepth;
  }

  /** A rule for body, or body itself when it is already one rule's name. */
  private named(hint: string, body: string | undefined): string | undefined {
    if (body === undefined || /^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(body)) return body;
    return this.rules.add(hint, body);
  }

  private get ws(): string {
    return ws(this.rules);
  }

  /** The schema a local `$ref` (`#`, `#/$defs/x`, any `#/json/pointer`) names. */
  private resolve(ref: unknown, path: string): { target: unknown; pointer: string } {
    if (typeof ref !== 'string') refuse('$ref', path, '$ref must be a string');
    if (!ref.startsWith('#'))
      refuse('$ref', path, `only local references (#/$defs/...) are supported, not ${ref}`);
    let pointer: string;
    try {
      pointer = decodeURIComponent(ref.slice(1));
    } catch {
      refuse('$ref', path, `malformed reference ${ref}`);
    }
    if (pointer !== '' && !pointer.startsWith('/'))
      refuse('$ref', path, `anchors (${ref}) are not supported`);
    let target: unknown = this.root;
    for (const raw of pointer.split('/').slice(1)) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (!isSchemaObject(target) && !Array.isArray(target)) refuse('$ref', path, `${ref} does not resolve`);
      target = (target as Record<string, unknown>)[key];
      if (target === undefined) refuse('$ref', path, `${ref} does not resolve`);
    }
    return { target, pointer };
  }

  /**
   * A rule for the schema at `pointer`, compiled once. `head` holds the references being compiled
   * with nothing consumed since: reaching one again would be left recursion (and an endless loop
   * in a validator), so it is refused.
   */
  ref(ref: unknown, path: string, head: ReadonlySet<string>): string {
    const { target, pointer } = this.resolve(ref, path);
    if (head.has(pointer)) refuse('$ref', path, `${String(ref)} refers to itself before consuming any text`);
    const known = this.refRules.get(pointer);
    if (known !== undefined) return known;
    const name = this.rules.reserve(pointer === '' ? 'value' : (pointer.split('/').pop() ?? 'ref'));
    this.refRules.set(pointer, name);
    const body = this.compile(target, pointer, new Set([...head, pointer]));
    if (body === undefined) {
      if (path === '') refuse('schema', '', 'no value satisfies the schema');
      refuse('$ref', path, `${String(ref)} refers to a schema no value satisfies`);
    }
    this.rules.fill(name, body);
    return name;
  }

  /** The grammar expression for values valid against `schema`; undefined when none is. */
  compile(schema: unknown, path: string, head: ReadonlySet<string>): string | undefined {
    if (schema === true) return jsonValue(this.rules, this.openDepth);
    if (schema === false) return undefined;
    if (!isSchemaObject(schema)) refuse('schema', path, 'a schema must be an object or a boolean');
    const keywords = Object.keys(schema).filter((k) => !annotations.has(k) && !definitionHolders.has(k));
    for (const keyword of keywords) {
      if (keyword === '$id' && path === '') continue;
      if (!supported.has(keyword)) refuse(keyword, at(path, keyword), `${keyword} is not supported`);
    }
    const valueKeywords = keywords.filter((k) => k !== '$id');
    const alone = (keyword: string) => {
      const other = valueKeywords.find((k) => k !== keyword);
      if (other !== undefined)
        refuse(keyword, at(path, keyword), `${keyword} together with ${other} is not supported`);
    };
    if ('$ref' in schema) {
      alone('$ref');
      return this.ref(schema.$ref, at(path, '$ref'), head);
    }
    if ('allOf' in schema) {
      const list = schema.allOf;
      if (!Array.isArray(list) || list.length === 0)
        refuse('allOf', at(path, 'allOf'), 'allOf must be a non-empty array');
      if (list.length > 1)
        refuse('allOf', at(path, 'allOf'), 'allOf with more than one schema is not supported');
      alone('allOf');
      return this.compile(list[0], at(path, 'allOf', 0), head);
    }
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      if (!(keyword in schema)) continue;
      const list = schema[keyword];
      if (!Array.isArray(list) || list.length === 0)
        refuse(keyword, at(path, keyword), `${keyword} must be a non-empty array`);
      alone(keyword);
      if (keyword === 'oneOf') this.checkDisjoint(list, at(path, keyword));
      const options = list
        .map((branch, i) => this.compile(branch, at(path, keyword, i), head))
        .filter((o) => o !== undefined);
      const body = alternatives(options);
      return this.named(hintOf(path), body);
    }
    const types = this.types(schema, path);
    if ('const' in schema || 'enum' in schema) return this.enumeration(schema, path, types, valueKeywords);
    const options: string[] = [];
    for (const type of types) {
      const option = this.typed(type, schema, path);
      if (option !== undefined) options.push(option);
    }
    const body = alternatives(options);
    return this.named(hintOf(path), body);
  }

  private types(schema: Schema, path: string): JsonType[] {
    const type = schema.type;
    if (type === undefined) return jsonTypes.filter((t) => t !== 'integer');
    const list = Array.isArray(type) ? type : [type];
    if (list.length === 0) refuse('type', at(path, 'type'), 'type must not be an empty array');
    for (const t of list)
      if (typeof t !== 'string' || !(jsonTypes as readonly string[]).includes(t))
        refuse('type', at(path, 'type'), `type must be one of ${jsonTypes.join(', ')} (or an array of them)`);
    const names = list as JsonType[];
    // `number` already holds every integer.
    return [...new Set(names)].filter((t) => !(t === 'integer' && names.includes('number')));
  }

  private enumeration(
    schema: Schema,
    path: string,
    types: JsonType[],
    keywords: string[],
  ): string | undefined {
    const other = keywords.find((k) => k !== 'const' && k !== 'enum' && k !== 'type');
    const keyword = 'const' in schema ? 'const' : 'enum';
    if (other !== undefined)
      refuse(keyword, at(path, keyword), `${keyword} together with ${other} is not supported`);
    let values: unknown[];
    if ('enum' in schema) {
      if (!Array.isArray(schema.enum) || schema.enum.length === 0)
        refuse('enum', at(path, 'enum'), 'enum must be a non-empty array');
      values = schema.enum;
      if ('const' in schema) values = values.filter((v) => canonical(v) === canonical(schema.const));
    } else values = [schema.const];
    const allowed = values.filter((v) => types.some((t) => typeAdmits(t, typeOfValue(v))));
    const body = alternatives(allowed.map((v) => group(jsonConstant(this.rules, v))));
    return this.named(hintOf(path), body);
  }

  private typed(type: JsonType, schema: Schema, path: string): string | undefined {
    switch (type) {
      case 'null':
      case 'boolean':
        return type === 'null' ? '"null"' : '"true" | "false"';
      case 'string':
        return this.string(schema, path);
      case 'integer':
        return this.integer(schema, path);
      case 'number':
        return this.number(schema, path);
      case 'object':
        return this.object(schema, path);
      case 'array':
        return this.array(schema, path);
    }
  }

  private string(schema: Schema, path: string): string | undefined {
    const minLength = nonNegativeInteger(schema, 'minLength', path) ?? 0;
    const maxLength = nonNegativeInteger(schema, 'maxLength', path);
    if (maxLength !== undefined && minLength > maxLength)
      refuse('minLength', at(path, 'minLength'), `minLength ${minLength} > maxLength ${maxLength}`);
    const lengthGiven = 'minLength' in schema || 'maxLength' in schema;
    if ('format' in schema) {
      const format = schema.format;
      if (typeof format !== 'string') refuse('format', at(path, 'format'), 'format must be a string');
      if (!supportedFormats.has(format))
        refuse(
          'format',
          at(path, 'format'),
          `format ${format} is not supported (only ${[...supportedFormats].join(', ')})`,
        );
      if (lengthGiven || 'pattern' in schema)
        refuse(
          'format',
          at(path, 'format'),
          'format together with minLength, maxLength or pattern is not supported',
        );
      return this.format(format);
    }
    if ('pattern' in schema) {
      const pattern = schema.pattern;
      if (typeof pattern !== 'string') refuse('pattern', at(path, 'pattern'), 'pattern must be a string');
      try {
        new RegExp(pattern, 'u');
      } catch (error) {
        refuse(
          'pattern',
          at(path, 'pattern'),
          `pattern is not a valid regular expression: ${(error as Error).message}`,
        );
      }
      if (lengthGiven)
        refuse(
          'pattern',
          at(path, 'pattern'),
          'pattern together with minLength or maxLength is not supported',
        );
      const body = regexJsonStringBody(pattern, this.rules, at(path, 'pattern'));
      return this.rules.add(`${hintOf(path)}-pattern`, `"\\"" (${body}) "\\""`);
    }
    return jsonString(this.rules, minLength, maxLength);
  }

  /**
   * ajv-formats' checks: date is YYYY-MM-DD with a real day of the month (29 February is left out
   * rather than checking leap years); date-time is date "T" time with seconds, optional fraction
   * and a required offset; uuid is 8-4-4-4-12 hex digits.
   */
  private format(format: string): string {
    const r = this.rules;
    const hex = '[0-9a-fA-F]';
    const date = r.define(
      'date',
      '[0-9]{4} "-" ( ("0" [13578] | "1" [02]) "-" ("0" [1-9] | [12] [0-9] | "3" [01])' +
        ' | ("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30")' +
        ' | "02" "-" ("0" [1-9] | "1" [0-9] | "2" [0-8]) )',
    );
    if (format === 'date') return r.add('date-string', `"\\"" ${date} "\\""`);
    if (format === 'uuid')
      return r.add(
        'uuid-string',
        `"\\"" ${hex}{8} "-" ${hex}{4} "-" ${hex}{4} "-" ${hex}{4} "-" ${hex}{12} "\\""`,
      );
    const hour = '([01] [0-9] | "2" [0-3])';
    const minute = '[0-5] [0-9]';
    const time = `${hour} ":" ${minute} ":" ${minute} ("." [0-9]{1,9})? ("Z" | [+-] ${hour} ":" ${minute})`;
    return r.add('date-time-string', `"\\"" ${date} "T" ${time} "\\""`);
  }

  /** Integer bounds from the four keywords, in whole numbers; unsafe integers are refused. */
  private integerBounds(schema: Schema, path: string): { lo?: bigint; hi?: bigint } {
    const minimum = finiteNumber(schema, 'minimum', path);
    const maximum = finiteNumber(schema, 'maximum', path);
    const exclusiveMinimum = finiteNumber(schema, 'exclusiveMinimum', path);
    const exclusiveMaximum = finiteNumber(schema, 'exclusiveMaximum', path);
    if (minimum !== undefined && maximum !== undefined && minimum > maximum)
      refuse('minimum', at(path, 'minimum'), `minimum ${minimum} > maximum ${maximum}`);
    const los: number[] = [];
    const his: number[] = [];
    if (minimum !== undefined) los.push(Math.ceil(minimum));
    if (exclusiveMinimum !== undefined) los.push(Math.floor(exclusiveMinimum) + 1);
    if (maximum !== undefined) his.push(Math.floor(maximum));
    if (exclusiveMaximum !== undefined) his.push(Math.ceil(exclusiveMaximum) - 1);
    for (const keyword of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
      const value = schema[keyword];
      // Past 2^53 the decimal a grammar writes and the double JSON.parse makes of it can differ.
      if (typeof value === 'number' && Math.abs(value) > Number.MAX_SAFE_INTEGER)
        refuse(keyword, at(path, keyword), `${keyword} beyond ±${Number.MAX_SAFE_INTEGER} is not supported`);
    }
    return {
      lo: los.length ? BigInt(Math.max(...los)) : undefined,
      hi: his.length ? BigInt(Math.min(...his)) : undefined,
    };
  }

  private integer(schema: Schema, path: string): string | undefined {
    const { lo, hi } = this.integerBounds(schema, path);
    if (lo === undefined && hi === undefined) return jsonInteger(this.rules);
    const body = integerRange(lo, hi);
    return body === undefined ? undefined : this.rules.add(`${hintOf(path)}-integer`, body);
  }

  private number(schema: Schema, path: string): string | undefined {
    this.integerBounds(schema, path);
    const bounds: DecimalBounds = {};
    const chosen: Partial<Record<'lo' | 'hi', { value: number; keyword: string }>> = {};
    for (const keyword of ['minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum']) {
      const value = schema[keyword];
      if (typeof value !== 'number') continue;
      const inclusive = !keyword.startsWith('exclusive');
      const side = keyword.endsWith('inimum') ? 'lo' : 'hi';
      const current = chosen[side];
      const tighter =
        !current ||
        (side === 'lo' ? value > current.value : value < current.value) ||
        (value === current.value && !inclusive);
      if (!tighter) continue;
      const bound = decimalBound(value, inclusive);
      if (!bound)
        refuse(keyword, at(path, keyword), `${keyword} ${value} is written with an exponent (not supported)`);
      bounds[side] = bound;
      chosen[side] = { value, keyword };
    }
    if (!chosen.lo && !chosen.hi) return jsonNumber(this.rules);
    const digits = fractionDigitsFor(bounds);
    if (digits === undefined) {
      const keyword =
        [chosen.lo, chosen.hi].find((c) => c?.keyword.startsWith('exclusive'))?.keyword ?? 'exclusiveMinimum';
      refuse(
        keyword,
        at(path, keyword),
        `${keyword} of a number needs at most 15 significant digits to be exact`,
      );
    }
    const body = decimalRange(bounds, digits);
    return body === undefined ? undefined : this.rules.add(`${hintOf(path)}-number`, body);
  }

  private object(schema: Schema, path: string): string | undefined {
    const properties = schema.properties ?? {};
    if (!isSchemaObject(properties))
      refuse('properties', at(path, 'properties'), 'properties must be an object');
    const required = schema.required ?? [];
    if (!Array.isArray(required) || required.some((r) => typeof r !== 'string'))
      refuse('required', at(path, 'required'), 'required must be an array of strings');
    const additional = schema.additionalProperties;
    if (additional !== undefined && typeof additional !== 'boolean')
      refuse(
        'additionalProperties',
        at(path, 'additionalProperties'),
        'additionalProperties must be false, true or absent (a schema there is not supported)',
      );
    const requiredSet = new Set(required as string[]);
    const entries: { name: string; schema: unknown; required: boolean; path: string }[] = Object.entries(
      properties,
    ).map(([name, s]) => ({
      name,
      schema: s,
      required: requiredSet.has(name),
      path: at(path, 'properties', name),
    }));
    for (const name of requiredSet) {
      if (name in properties) continue;
      // Required but not described: any value, unless no other property may appear.
      if (additional === false) return undefined;
      entries.push({ name, schema: true, required: true, path: at(path, 'required') });
    }
    const w = this.ws;
    const members: { text: string; required: boolean }[] = [];
    for (const entry of entries) {
      const value = this.compile(entry.schema, entry.path, new Set());
      if (value === undefined) {
        if (entry.required) return undefined;
        continue;
      }
      members.push({
        text: `${literal(JSON.stringify(entry.name))} ":" ${w} ${value}`,
        required: entry.required,
      });
    }
    // rest[j]: members j.. after one has been written, each behind a comma.
    const rest: string[] = [];
    rest[members.length] = '';
    for (let j = members.length - 1; j >= 1; j--) {
      const member = members[j] as { text: string; required: boolean };
      const item = member.required ? `"," ${w} ${member.text}` : `("," ${w} ${member.text})?`;
      const tail = rest[j + 1] as string;
      rest[j] = tail ? this.rules.add(`${hintOf(path)}-rest`, `${item} ${tail}`) : item;
    }
    // The first member written is j, every optional one before it left out.
    const firsts: string[] = [];
    let anyRequired = false;
    for (const [j, member] of members.entries()) {
      firsts.push(`${member.text} ${rest[j + 1]}`.trim());
      if (member.required) {
        anyRequired = true;
        break;
      }
    }
    const body = firsts.length ? `(${firsts.join(' | ')}) ${w}` : '';
    const inner = !body ? '' : anyRequired ? ` ${body}` : ` (${body})?`;
    return this.rules.add(`${hintOf(path)}-object`, `"{" ${w}${inner} "}"`);
  }

  private array(schema: Schema, path: string): string | undefined {
    const prefix = schema.prefixItems ?? [];
    if (!Array.isArray(prefix))
      refuse('prefixItems', at(path, 'prefixItems'), 'prefixItems must be an array');
    if ('items' in schema && typeof schema.items !== 'boolean' && !isSchemaObject(schema.items))
      refuse('items', at(path, 'items'), 'items must be a schema (the draft-07 array form is not supported)');
    const minItems = nonNegativeInteger(schema, 'minItems', path) ?? 0;
    let maxItems = nonNegativeInteger(schema, 'maxItems', path);
    if (maxItems !== undefined && minItems > maxItems)
      refuse('minItems', at(path, 'minItems'), `minItems ${minItems} > maxItems ${maxItems}`);
    const prefixRules: string[] = [];
    for (const [i, s] of prefix.entries()) {
      const rule = this.compile(s, at(path, 'prefixItems', i), new Set());
      if (rule === undefined) {
        maxItems = Math.min(maxItems ?? i, i);
        break;
      }
      prefixRules.push(rule);
    }
    const item =
      'items' in schema
        ? this.compile(schema.items, at(path, 'items'), new Set())
        : jsonValue(this.rules, this.openDepth);
    if (item === undefined) maxItems = Math.min(maxItems ?? prefix.length, prefix.length);
    if (maxItems !== undefined && minItems > maxItems) return undefined;
    const w = this.ws;
    const P = prefixRules.length;
    // Elements from position k on; `first`: no comma before the first of them. Position 0 is
    // always present here (the empty array is written separately).
    const from = (k: number, first: boolean): string => {
      const sep = first ? '' : `"," ${w} `;
      if (maxItems !== undefined && k >= maxItems) return '';
      if (k < P) {
        const tail = from(k + 1, false);
        const inner = `${sep}${prefixRules[k]}${tail ? ` ${tail}` : ''}`;
        return k < minItems || first ? inner : `(${inner})?`;
      }
      const lo = Math.max(0, minItems - k);
      const hi = maxItems === undefined ? undefined : maxItems - k;
      const element = item as string;
      if (first) {
        const more = repeat(
          `("," ${w} ${element})`,
          Math.max(0, lo - 1),
          hi === undefined ? undefined : hi - 1,
        );
        return more === '""' ? element : `${element} ${more}`;
      }
      const more = repeat(`("," ${w} ${element})`, lo, hi);
      return more === '""' ? '' : more;
    };
    if (maxItems === 0) return this.rules.add('empty-array', `"[" ${w} "]"`);
    const elements = from(0, true);
    const body = minItems === 0 ? `"[" ${w} (${elements} ${w})? "]"` : `"[" ${w} ${group(elements)} ${w} "]"`;
    return this.rules.add(`${hintOf(path)}-array`, body);
  }

  private shape(schema: unknown, path: string, seen: Set<string> = new Set()): BranchShape {
    const all: BranchShape = {
      types: new Set(['object', 'array', 'string', 'number', 'boolean', 'null']),
      tags: new Map(),
    };
    if (schema === false) return { types: new Set(), tags: new Map() };
    if (!isSchemaObject(schema)) return all;
    if (typeof schema.$ref === 'string') {
      const { target, pointer } = this.resolve(schema.$ref, at(path, '$ref'));
      if (seen.has(pointer)) return all;
      return this.shape(target, pointer, new Set([...seen, pointer]));
    }
    if (Array.isArray(schema.allOf) && schema.allOf.length === 1)
      return this.shape(schema.allOf[0], path, seen);
    const fold = (t: string) => (t === 'integer' ? 'number' : t);
    if ('const' in schema || Array.isArray(schema.enum)) {
      const values = 'const' in schema ? [schema.const] : (schema.enum as unknown[]);
      return {
        types: new Set(values.map((v) => fold(typeOfValue(v)))),
        values: new Set(values.map(canonical)),
        tags: new Map(),
      };
    }
    const types =
      schema.type === undefined
        ? all.types
        : new Set((Array.isArray(schema.type) ? schema.type : [schema.type]).map((t) => fold(String(t))));
    const tags = new Map<string, Set<string>>();
    if (isSchemaObject(schema.properties) && Array.isArray(schema.required))
      for (const name of schema.required)
        if (typeof name === 'string' && name in schema.properties) {
          const values = this.shape(schema.properties[name], at(path, 'properties', name), seen).values;
          if (values) tags.set(name, values);
        }
    return { types, tags };
  }

  /** oneOf is enforced as anyOf, which is exact only when no value can match two branches. */
  private checkDisjoint(branches: unknown[], path: string): void {
    const shapes = branches.map((b, i) => this.shape(b, at(path, i)));
    const disjointSets = (a: Set<string>, b: Set<string>) => ![...a].some((x) => b.has(x));
    for (let i = 0; i < shapes.length; i++)
      for (let j = i + 1; j < shapes.length; j++) {
        const a = shapes[i] as BranchShape;
        const b = shapes[j] as BranchShape;
        if (disjointSets(a.types, b.types)) continue;
        if (a.values && b.values && disjointSets(a.values, b.values)) continue;
        const common = [...a.types].filter((t) => b.types.has(t));
        const tagged =
          common.length === 1 &&
          common[0] === 'object' &&
          [...a.tags].some(([name, values]) => {
            const other = b.tags.get(name);
            return other !== undefined && disjointSets(values, other);
          });
        if (tagged) continue;
        refuse(
          'oneOf',
          path,
          `oneOf branches ${i} and ${j} may both match one value (only branches of distinct types or distinct const/enum values, directly or on a shared required property, are supported)`,
        );
      }
  }
}

/** A readable rule name from a schema path: its last segment. */
function hintOf(path: string): string {
  const last = path.split('/').filter(Boolean).pop();
  return last ? last.replace(/~1/g, '-').replace(/~0/g, '-') : 'value';
}

/** Grammar text accepting exactly the JSON texts (in the output shape above) valid against `schema`. */
export function jsonSchemaToGrammar(schema: unknown, options: JsonSchemaGrammarOptions = {}): string {
  const compiler = new SchemaCompiler(schema, options);
  if (schema === false) refuse('schema', '', 'the schema false accepts no value');
  const root = compiler.ref('#', '', new Set());
  return compiler.rules.render(root);
}
