/**
 * Errors in OpenAI's shape, `{ error: { message, type, param, code } }`, with the status OpenAI's
 * clients act on: 400 for a bad request (a context overflow too), 401 for a bad key, 404 for an
 * unknown route or model, 413 for a body over the limit, 429 when the queue is full (clients retry
 * after Retry-After), 503 while loading or shutting down, 500 for anything unexpected.
 */
import type { FastifyError } from 'fastify';
import { ConstraintError, Vl2Error } from '../errors.js';

/** The body of every error response. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error that knows its HTTP status and OpenAI fields. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Extra response headers (Retry-After on 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new HttpError(400, message, 'invalid_request_error', param, code);

/** Where a library error lands: its typed code decides. */
function fromVl2Error(error: Vl2Error): HttpError {
  switch (error.code) {
    case 'VL2_INVALID_ARGUMENT':
      return badRequest(error.message, 'messages', 'invalid_value');
    case 'VL2_IMAGE':
      return badRequest(error.message, 'messages', 'invalid_image');
    case 'VL2_CONTEXT_OVERFLOW':
      return badRequest(error.message, 'messages', 'context_length_exceeded');
    case 'VL2_UNSUPPORTED':
      return badRequest(error.message, null, 'unsupported');
    case 'VL2_CONSTRAINT':
      return badRequest(
        `response_format: ${error.message}`,
        error instanceof ConstraintError && error.keyword
          ? 'response_format.json_schema.schema'
          : 'response_format',
        'invalid_response_format',
      );
    case 'VL2_ABORTED':
      return new HttpError(503, error.message, 'server_error', null, 'aborted');
    default:
      return new HttpError(500, error.message, 'server_error', null, error.code.toLowerCase());
  }
}

type SchemaError = NonNullable<FastifyError['validation']>[number];

/**
 * The one schema error to report. A field that may take several forms (`stop`: a string or an
 * array; a nullable number) fails every form, and the first failure ("must be string") rarely says
 * what is wrong: the deepest error, and among those one that is not a type mismatch, does.
 */
function mostSpecific(errors: SchemaError[]): SchemaError | undefined {
  const depth = (e: SchemaError) => (e.instancePath ?? '').split('/').length;
  const generic = (e: SchemaError) => ['type', 'anyOf', 'oneOf'].includes(e.keyword);
  return [...errors].sort((a, b) => depth(b) - depth(a) || Number(generic(a)) - Number(generic(b)))[0];
}

function describeSchemaError(errors: SchemaError[]): HttpError {
  const error = mostSpecific(errors);
  const params = (error?.params ?? {}) as {
    missingProperty?: string;
    additionalProperty?: string;
    allowedValues?: unknown[];
    allowedValue?: unknown;
  };
  const path = (error?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const field = params.missingProperty ?? params.additionalProperty;
  const param = [path, field].filter(Boolean).join('.') || null;
  const allowed =
    params.allowedValues ?? (params.allowedValue === undefined ? undefined : [params.allowedValue]);
  const what = params.additionalProperty
    ? `unknown or unsupported field '${params.additionalProperty}'`
    : params.missingProperty
      ? `missing required field '${param}'`
      : `${param ?? 'the body'} ${error?.message ?? 'is invalid'}${allowed ? ` (${allowed.map((v) => JSON.stringify(v)).join(', ')})` : ''}`;
  return badRequest(`invalid request: ${what}`, param, 'invalid_value');
}

/** Fastify's own errors: schema validation, bad JSON, body size, media type. */
function fromFastifyError(error: FastifyError): HttpError | undefined {
  if (error.validation) return describeSchemaError(error.validation);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new HttpError(413, error.message, 'invalid_request_error', null, 'request_too_large');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new HttpError(415, error.message, 'invalid_request_error', null, 'unsupported_media_type');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
    return badRequest(error.message, null, error.code?.toLowerCase() ?? null);
  return undefined;
}

/** Any thrown value as an HttpError (500 when nothing more specific applies). */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof Vl2Error) return fromVl2Error(error);
  const fastify = fromFastifyError(error as FastifyError);
  if (fastify) return fastify;
  const message = error instanceof Error ? error.message : String(error);
  return new HttpError(500, `internal error: ${message}`, 'server_error');
}
