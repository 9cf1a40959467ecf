/**
 * The request body of POST /v1/chat/completions as a JSON schema (fastify validates it before the
 * handler runs, so every type error is a 400 naming the field) and as a TypeScript type. Fields
 * OpenAI defines that this server does not implement (tools, audio...) are refused rather than
 * silently ignored, except in the forms that ask for nothing (`tools: []`, `logit_bias: {}`...),
 * which common clients send by default. top_k, min_p and repetition_penalty are extensions (vLLM's
 * names); so are the response_format types regex, grammar and grounding beside OpenAI's text,
 * json_object and json_schema.
 */

export interface TextPart {
  type: 'text';
  text?: string;
}
export interface ImageUrlPart {
  type: 'image_url';
  image_url?: { url: string; detail?: 'auto' | 'low' | 'high' };
}
export type RequestPart = TextPart | ImageUrlPart;

export interface RequestMessage {
  /** 'developer' is OpenAI's newer name for 'system'. */
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string | RequestPart[];
  name?: string;
}

export interface ChatCompletionRequest {
  model: string;
  messages: RequestMessage[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  min_p?: number | null;
  repetition_penalty?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  user?: string;
  /** Accepted only in the forms that ask for nothing: see the schema. */
  store?: boolean | null;
  metadata?: Record<string, string> | null;
  response_format?: ResponseFormatField | null;
  tools?: [] | null;
  tool_choice?: 'none' | 'auto' | null;
  parallel_tool_calls?: boolean | null;
  logit_bias?: Record<string, never> | null;
}

/** OpenAI's response_format, plus this server's regex, grammar and grounding types. */
export type ResponseFormatField =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: {
        name: string;
        description?: string;
        schema?: Record<string, unknown>;
        strict?: boolean | null;
      };
    }
  | { type: 'regex'; regex: string }
  | { type: 'grammar'; grammar: string }
  | { type: 'grounding' };

/** OpenAI allows at most this many stop sequences. */
const maxStopSequences = 4;
/** OpenAI's bound on top_logprobs. */
const maxTopLogprobs = 20;

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });

const part = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { enum: ['text', 'image_url'] },
    text: { type: 'string' },
    image_url: {
      type: 'object',
      required: ['url'],
      additionalProperties: false,
      properties: { url: { type: 'string', minLength: 1 }, detail: { enum: ['auto', 'low', 'high'] } },
    },
  },
};

const message = {
  type: 'object',
  required: ['role', 'content'],
  additionalProperties: false,
  properties: {
    role: { enum: ['system', 'developer', 'user', 'assistant'] },
    content: { anyOf: [{ type: 'string' }, { type: 'array', minItems: 1, items: part }] },
    name: { type: 'string' },
  },
};

export const chatCompletionSchema = {
  type: 'object',
  required: ['model', 'messages'],
  additionalProperties: false,
  properties: {
    model: { type: 'string' },
    messages: { type: 'array', minItems: 1, items: message },
    max_tokens: nullable({ type: 'integer', minimum: 1 }),
    max_completion_tokens: nullable({ type: 'integer', minimum: 1 }),
    temperature: nullable({ type: 'number', minimum: 0, maximum: 2 }),
    top_p: nullable({ type: 'number', exclusiveMinimum: 0, maximum: 1 }),
    top_k: nullable({ type: 'integer', minimum: 0 }),
    min_p: nullable({ type: 'number', minimum: 0, exclusiveMaximum: 1 }),
    repetition_penalty: nullable({ type: 'number', exclusiveMinimum: 0 }),
    frequency_penalty: nullable({ type: 'number', minimum: -2, maximum: 2 }),
    presence_penalty: nullable({ type: 'number', minimum: -2, maximum: 2 }),
    seed: nullable({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    stop: nullable({
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', maxItems: maxStopSequences, items: { type: 'string', minLength: 1 } },
      ],
    }),
    n: nullable({ type: 'integer', minimum: 1 }),
    stream: nullable({ type: 'boolean' }),
    stream_options: nullable({
      type: 'object',
      additionalProperties: false,
      properties: { include_usage: { type: 'boolean' } },
    }),
    logprobs: nullable({ type: 'boolean' }),
    top_logprobs: nullable({ type: 'integer', minimum: 0, maximum: maxTopLogprobs }),
    user: { type: 'string' },
    // No-ops: nothing is stored, and without tools there is nothing to choose or run in parallel.
    store: nullable({ type: 'boolean' }),
    metadata: nullable({ type: 'object', additionalProperties: { type: 'string' } }),
    // The schema itself is checked when it compiles (a 400 naming the keyword), and the field each
    // type needs by chat-completions.ts, where the message can say which.
    response_format: nullable({
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['text', 'json_object', 'json_schema', 'regex', 'grammar', 'grounding'] },
        json_schema: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
            description: { type: 'string' },
            schema: { type: 'object' },
            strict: nullable({ type: 'boolean' }),
          },
        },
        regex: { type: 'string', minLength: 1 },
        grammar: { type: 'string', minLength: 1 },
      },
      additionalProperties: false,
    }),
    tools: nullable({ type: 'array', maxItems: 0 }),
    tool_choice: nullable({ enum: ['none', 'auto'] }),
    parallel_tool_calls: nullable({ type: 'boolean' }),
    logit_bias: nullable({ type: 'object', maxProperties: 0 }),
  },
} as const;
