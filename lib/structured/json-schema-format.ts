/**
 * A typed JSON Schema response format: `jsonSchema(schema)` checks the schema at once (a
 * ConstraintError names any keyword the constrained decoder does not support), and its `parse`
 * returns the answer typed as the schema describes (json-schema-to-ts infers the type; declare the
 * schema `as const` or inline so the literal types survive).
 *
 *   const receipt = jsonSchema({ type: 'object', properties: { total: { type: 'number' } },
 *                                required: ['total'], additionalProperties: false });
 *   const answer = await model.generate(messages, { responseFormat: receipt });
 *   receipt.parse(answer.text).total; // number
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { InvalidArgumentError } from '../errors.js';
import { jsonSchemaToGrammar } from './json-schema-grammar.js';

export interface JsonSchemaFormat<T> {
  readonly type: 'json_schema';
  readonly schema: unknown;
  readonly name?: string;
  /**
   * The answer as the schema's type. Throws InvalidArgumentError when the text is not complete JSON:
   * an answer cut off by maxTokens or a stop string (finishReason 'length' or a stop string).
   */
  parse(text: string): T;
}

export function jsonSchema<const S extends JSONSchema>(
  schema: S,
  options: { name?: string } = {},
): JsonSchemaFormat<FromSchema<S>> {
  jsonSchemaToGrammar(schema); // refuses what is unsupported now, not at the first request
  return {
    type: 'json_schema',
    schema,
    ...(options.name === undefined ? {} : { name: options.name }),
    parse(text: string): FromSchema<S> {
      try {
        return JSON.parse(text) as FromSchema<S>;
      } catch (error) {
        throw new InvalidArgumentError(
          `the answer is not complete JSON (was it cut off by maxTokens or a stop string?): ${(error as Error).message}`,
          { cause: error },
        );
      }
    },
  };
}
