/**
 * POST /v1/chat/completions: the request (validated by schema.ts) becomes model.chat's messages and
 * options; the answer goes back whole or as server-sent events. Errors found while preparing the
 * prompt (bad image, context overflow) surface before any header is sent, so they keep their status
 * also when streaming. A client that disconnects aborts its generation; the scheduler frees it.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChatChunk, GenerateOptions, GenerateResult, LoadedModel as Model } from '../model.js';
import type { ResponseFormat } from '../structured/response-format.js';
import {
  type CompletionIdentity,
  chunkObject,
  completionObject,
  type LogprobEntry,
  logprobEntries,
  type OpenAiFinishReason,
  usageChunkObject,
} from './completion-objects.js';
import { badRequest, HttpError, toHttpError } from './errors.js';
import { toChatMessages } from './messages.js';
import { type ChatCompletionRequest, chatCompletionSchema, type ResponseFormatField } from './schema.js';
import { sseBody, sseHeaders } from './sse.js';
import { AbortReason, type ServerState } from './state.js';

/** Refuses what the engine cannot do, then maps OpenAI's fields to the model's options. */
function generateOptions(body: ChatCompletionRequest, state: ServerState): GenerateOptions {
  if (body.model !== state.options.modelName)
    throw new HttpError(
      404,
      `the model '${body.model}' does not exist; this server serves '${state.options.modelName}'`,
      'invalid_request_error',
      'model',
      'model_not_found',
    );
  if ((body.n ?? 1) > 1)
    throw badRequest(
      'n > 1 is not supported: send n requests instead (they decode together in one batch)',
      'n',
      'unsupported_value',
    );
  if ((body.top_logprobs ?? 0) > 0)
    throw badRequest(
      'top_logprobs is not supported: the engine reports only the chosen token’s log-probability (use logprobs: true)',
      'top_logprobs',
      'unsupported_value',
    );
  for (const param of ['frequency_penalty', 'presence_penalty'] as const) {
    if ((body[param] ?? 0) !== 0)
      throw badRequest(
        `${param} is not supported; use repetition_penalty (> 1 discourages repeats)`,
        param,
        'unsupported_value',
      );
  }
  const defined = <T>(value: T | null | undefined) => (value === null ? undefined : value);
  const stop = defined(body.stop);
  const responseFormat = responseFormatOf(defined(body.response_format));
  return {
    ...(responseFormat ? { responseFormat } : {}),
    maxTokens:
      defined(body.max_completion_tokens) ?? defined(body.max_tokens) ?? state.options.defaultMaxTokens,
    temperature: defined(body.temperature),
    topP: defined(body.top_p),
    topK: defined(body.top_k),
    minP: defined(body.min_p),
    repetitionPenalty: defined(body.repetition_penalty),
    seed: defined(body.seed),
    stop: typeof stop === 'string' ? [stop] : stop,
  };
}

/** OpenAI's response_format as the model's option; a json_schema without a schema is any JSON object. */
function responseFormatOf(field: ResponseFormatField | undefined): ResponseFormat | undefined {
  const needs = (name: string) =>
    badRequest(
      `response_format of type ${field?.type} needs '${name}'`,
      `response_format.${name}`,
      'invalid_value',
    );
  switch (field?.type) {
    case undefined:
    case 'text':
      return undefined;
    case 'json_schema':
      if (!field.json_schema) throw needs('json_schema');
      return field.json_schema.schema === undefined
        ? { type: 'json_object' }
        : { type: 'json_schema', schema: field.json_schema.schema, name: field.json_schema.name };
    case 'regex':
      if (field.regex === undefined) throw needs('regex');
      return { type: 'regex', pattern: field.regex };
    case 'grammar':
      if (field.grammar === undefined) throw needs('grammar');
      return { type: 'grammar', grammar: field.grammar };
    default:
      return field;
  }
}

/** Feeds the latency metrics as tokens arrive; counts the request as waiting until its first. */
class TokenTimer {
  private waiting = true;
  private last = 0;

  constructor(
    private readonly state: ServerState,
    private readonly started: number,
  ) {
    state.metrics.waiting.inc();
  }

  tokens(count: number): void {
    if (count === 0) return;
    const now = performance.now();
    if (this.waiting) {
      this.state.metrics.timeToFirstToken.observe((now - this.started) / 1000);
      this.end();
    } else {
      for (let i = 0; i < count; i++)
        this.state.metrics.interTokenLatency.observe((now - this.last) / count / 1000);
    }
    this.last = now;
  }

  end(): void {
    if (this.waiting) this.state.metrics.waiting.dec();
    this.waiting = false;
  }
}

/**
 * The model's chunks, timed. A response stream that the server destroys when its client goes stops
 * reading before the end, so finished() never runs and the model's result never settles: the
 * completion is counted here instead, by the finish it reached (abort when none), with its tokens.
 */
async function* timed(
  stream: AsyncIterable<ChatChunk>,
  timer: TokenTimer,
  metrics: ServerState['metrics'],
): AsyncGenerator<ChatChunk> {
  let outcome: 'read-to-end' | 'failed' | 'left' = 'left';
  let finishReason: string | undefined;
  let tokens = 0;
  try {
    for await (const chunk of stream) {
      timer.tokens(chunk.tokenIds.length);
      tokens += chunk.tokenIds.length;
      finishReason = chunk.finishReason ?? finishReason;
      yield chunk;
    }
    outcome = 'read-to-end'; // finished() records it from the model's result
  } catch (error) {
    outcome = 'failed';
    throw error;
  } finally {
    if (outcome === 'left') {
      metrics.completions.inc({ finish_reason: finishReason ?? 'abort' });
      metrics.completionTokens.inc(tokens);
    }
  }
}

/** What an aborted generation answers: a 503 when the server is shutting down; nobody reads the rest. */
function abortedError(signal: AbortSignal): HttpError {
  const shutdown = signal.reason instanceof AbortReason && signal.reason.why === 'shutdown';
  return new HttpError(
    503,
    signal.reason instanceof Error ? signal.reason.message : 'the generation was aborted',
    'server_error',
    null,
    shutdown ? 'shutting_down' : 'aborted',
  );
}

function record(state: ServerState, result: GenerateResult): void {
  const { metrics } = state;
  metrics.completions.inc({ finish_reason: result.finishReason });
  metrics.promptTokens.inc(result.usage.promptTokens);
  metrics.imageTokens.inc(result.usage.imageTokens);
  metrics.completionTokens.inc(result.usage.completionTokens);
}

async function handle(
  state: ServerState,
  request: FastifyRequest<{ Body: ChatCompletionRequest }>,
  reply: FastifyReply,
) {
  const body = request.body;
  const model: Model = state.ready();
  const options = generateOptions(body, state);
  const controller = state.admit();
  const timer = new TokenTimer(state, performance.now());
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new AbortReason('client-disconnected'));
    timer.end();
    state.release(controller);
  });
  const messages = await toChatMessages(body.messages, state.options.images, controller.signal);
  const stream = model.chat(messages, { ...options, signal: controller.signal });
  const chunks = timed(stream, timer, state.metrics);
  const first = await chunks.next(); // the prompt is processed and submitted here: its errors keep their status
  async function* all(): AsyncGenerator<ChatChunk> {
    if (!first.done) yield first.value;
    yield* chunks;
  }
  const identity: CompletionIdentity = {
    id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
    created: Math.floor(Date.now() / 1000),
    model: state.options.modelName,
  };
  const wantLogprobs = body.logprobs === true;
  const entries = (chunk: ChatChunk) =>
    logprobEntries(model.processor.tokenizer, chunk.tokenIds, chunk.logprobs);

  async function finished(): Promise<GenerateResult & { finishReason: OpenAiFinishReason }> {
    const result = await stream.result;
    record(state, result);
    if (result.finishReason === 'abort') throw abortedError(controller.signal);
    return result as GenerateResult & { finishReason: OpenAiFinishReason };
  }

  if (!body.stream) {
    const logprobs: LogprobEntry[] = [];
    for await (const chunk of all()) if (wantLogprobs) logprobs.push(...entries(chunk));
    const result = await finished();
    return completionObject(identity, { ...result, ...(wantLogprobs ? { logprobs } : {}) });
  }

  const includeUsage = body.stream_options?.include_usage === true;
  async function* events(): AsyncGenerator<object> {
    yield chunkObject(identity, { role: 'assistant', content: '' }, { includeUsage });
    for await (const chunk of all()) {
      if (chunk.text || (wantLogprobs && chunk.tokenIds.length))
        yield chunkObject(
          identity,
          { content: chunk.text },
          { includeUsage, ...(wantLogprobs ? { logprobs: entries(chunk) } : {}) },
        );
    }
    const result = await finished();
    yield chunkObject(identity, result.boxes.length ? { grounding: result.boxes } : {}, {
      includeUsage,
      finishReason: result.finishReason,
    });
    if (includeUsage) yield usageChunkObject(identity, result.usage);
  }
  reply.headers(sseHeaders);
  return reply.send(sseBody(events(), (error) => toHttpError(error).body()));
}

export function registerChatCompletions(app: FastifyInstance, state: ServerState): void {
  app.post<{ Body: ChatCompletionRequest }>(
    '/v1/chat/completions',
    { schema: { body: chatCompletionSchema } },
    (request, reply) => handle(state, request, reply),
  );
}
