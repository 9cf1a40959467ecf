/**
 * The page's one call: a streamed POST /v1/chat/completions on the server that served the page, with
 * the API key as Bearer when there is one. Errors become ApiError with a sentence a person can act on.
 */
import { sseEvents } from './sse.js';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { image_tokens: number };
}

/** The parts of a stream chunk the page reads. */
export interface StreamChunk {
  choices: { delta: { content?: string }; finish_reason: string | null }[];
  usage?: Usage | null;
}

export type RequestPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface RequestMessage {
  role: 'user' | 'assistant';
  content: string | RequestPart[];
}

export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached or failed mid-stream. */
    readonly status: number,
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { message?: string; code?: string | null };
}

/** What to tell the person for a failed request (the server's message kept, the status explained). */
function explain(status: number, body: ErrorBody): ApiError {
  const message = body.error?.message ?? `HTTP ${status}`;
  const code = body.error?.code ?? null;
  const advice =
    status === 401
      ? 'This server needs an API key: enter it in the settings.'
      : status === 413
        ? 'The request is larger than the server accepts (images travel inside it): use fewer or smaller images.'
        : code === 'context_length_exceeded'
          ? 'The conversation no longer fits in the model’s context: remove turns or images, or clear the chat.'
          : status === 429
            ? 'The server is busy (its queue is full): try again in a moment.'
            : status === 503
              ? 'The server cannot answer now (still loading the model, or shutting down).'
              : `The server refused the request (HTTP ${status}).`;
  return new ApiError(status, `${advice} (${message})`, code);
}

/** Streams the answer's chunks; throws ApiError, or an AbortError when `signal` fires. */
export async function* streamChat(
  request: { model: string; messages: RequestMessage[] } & Record<string, unknown>,
  apiKey: string | undefined,
  signal: AbortSignal,
): AsyncGenerator<StreamChunk> {
  const response = await fetch('/v1/chat/completions', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    },
    body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }),
    signal,
  }).catch((error: unknown) => {
    if (signal.aborted) throw error;
    throw new ApiError(0, `Cannot reach the server: ${error instanceof Error ? error.message : error}`);
  });
  if (!response.ok || !response.body)
    throw explain(response.status, (await response.json().catch(() => ({}))) as ErrorBody);
  for await (const event of sseEvents(response.body)) {
    const failure = (event as ErrorBody).error;
    if (failure) throw new ApiError(0, `The answer failed on the server: ${failure.message}`, failure.code);
    yield event as StreamChunk;
  }
}
