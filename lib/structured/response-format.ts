/**
 * What a caller may ask the answer to be, and the grammar text (native/grammar/README.md) each kind
 * compiles to. Every kind is checked here, before any generation: a malformed or unsupported format
 * is a ConstraintError naming the keyword (JSON Schema) or the line and column (grammar, regex).
 */
import { ConstraintError } from '../errors.js';
import { groundingGrammar } from './grounding-grammar.js';
import { jsonObjectGrammar } from './json-object-grammar.js';
import { jsonSchemaToGrammar } from './json-schema-grammar.js';
import { regexToGrammar } from './regex-grammar.js';

/** The grounding tags, added tokens that the grounding format spells. */
export const groundingSpecialTokens = ['<|ref|>', '<|/ref|>', '<|det|>', '<|/det|>'] as const;

export type ResponseFormat =
  /** Free text (the default). */
  | { type: 'text' }
  /** JSON that validates against the schema (see README for the keywords supported). */
  | { type: 'json_schema'; schema: unknown; name?: string; strict?: boolean }
  /** Any JSON object (OpenAI's json_object), nested at most 16 deep. */
  | { type: 'json_object' }
  /** Text that the whole regular expression (JavaScript syntax) matches. */
  | { type: 'regex'; pattern: string }
  /** Text of a grammar in the dialect of native/grammar/README.md (a subset of llama.cpp's GBNF). */
  | { type: 'grammar'; grammar: string }
  /** DeepSeek-VL2's grounding output: `<|ref|>label<|/ref|><|det|>[[x1, y1, x2, y2]]<|/det|>`, 0-999. */
  | { type: 'grounding' };

/** A format as the engine takes it: grammar text, and the special tokens it may spell. */
export interface CompiledFormat {
  grammar: string;
  allowedSpecial: readonly string[];
}

/** The grammar of a response format; undefined for free text. */
export function grammarOf(format: ResponseFormat): CompiledFormat | undefined {
  if (typeof format !== 'object' || format === null)
    throw new ConstraintError('responseFormat must be an object with a type');
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_schema':
      if (format.schema === undefined)
        throw new ConstraintError("responseFormat json_schema needs a 'schema'", { keyword: 'schema' });
      return { grammar: jsonSchemaToGrammar(format.schema), allowedSpecial: [] };
    case 'json_object':
      return { grammar: jsonObjectGrammar(), allowedSpecial: [] };
    case 'regex':
      if (typeof format.pattern !== 'string')
        throw new ConstraintError("responseFormat regex needs a 'pattern' string", { keyword: 'pattern' });
      return { grammar: regexToGrammar(format.pattern), allowedSpecial: [] };
    case 'grammar':
      if (typeof format.grammar !== 'string')
        throw new ConstraintError("responseFormat grammar needs a 'grammar' string", { keyword: 'grammar' });
      return { grammar: format.grammar, allowedSpecial: [] };
    case 'grounding':
      return { grammar: groundingGrammar(), allowedSpecial: groundingSpecialTokens };
    default:
      throw new ConstraintError(
        `unknown responseFormat type '${String((format as { type?: unknown }).type)}' (allowed: text, json_schema, json_object, regex, grammar, grounding)`,
        { keyword: 'type' },
      );
  }
}
