/**
 * An OpenAI-compatible HTTP server for a model: POST /v1/chat/completions, GET /v1/models,
 * GET /health, GET /metrics, and with `ui: true` the web demo's chat page at GET /. createServer
 * returns the fastify instance, not yet listening, so a service can add routes or plugins, then
 * `listen`. Closing it stops accepting connections, lets chat completions in flight finish for
 * `shutdownGraceMs`, then aborts the rest; the model stays open (its owner closes it).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { statSync } from 'node:fs';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { InvalidArgumentError } from '../errors.js';
import type { LoadedModel as Model } from '../model.js';
import { type RemoteFetchOptions, remoteFetchLimits } from '../net/safe-fetch.js';
import { registerChatCompletions } from './chat-completions.js';
import { loadFastify } from './dependencies.js';
import { HttpError, toHttpError } from './errors.js';
import { registerInfoRoutes } from './info-routes.js';
import { ServerMetrics } from './metrics.js';
import { ServerState } from './state.js';
import { registerWebDemo } from './ui/index.js';

export interface ServerOptions {
  /** The model id clients name and /v1/models lists (default 'deepseek-vl2'). */
  modelName?: string;
  /** Require `Authorization: Bearer KEY` on /v1/* (/health and /metrics stay open). */
  apiKey?: string;
  /** Chat completions in flight at once, running or waiting (default 256); more get 429. */
  maxQueue?: number;
  /** Serve local image paths under this directory (default: local paths refused). */
  imageRoot?: string;
  /** Fetch http(s) image URLs, public addresses only (default false). */
  allowRemoteImages?: boolean;
  /** Limits and address policy of remote image fetches (see RemoteFetchOptions). */
  remoteFetch?: RemoteFetchOptions;
  /** Largest request body in bytes (default 32 MiB: a 20 MiB image as base64 with room to spare). */
  maxBodyBytes?: number;
  /** max_tokens when a request gives none (default 512, the model's default). */
  defaultMaxTokens?: number;
  /** On close: how long requests in flight may run before they are aborted, ms (default 30 000). */
  shutdownGraceMs?: number;
  /**
   * Serve the web demo, a chat page, at GET / (its files under /ui/). Default false here, so that a
   * service's own routes keep `/`; `vl2 serve` turns it on unless given --no-ui.
   */
  ui?: boolean;
  /** Fastify's logger option (default false). */
  logger?: FastifyServerOptions['logger'];
}

const defaults = {
  modelName: 'deepseek-vl2',
  maxQueue: 256,
  maxBodyBytes: 32 * 1024 ** 2,
  defaultMaxTokens: 512,
  shutdownGraceMs: 30_000,
};

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Constant-time: the key cannot be guessed byte by byte from response times. */
function keyChecker(apiKey: string): (header: string | undefined) => boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = digest(`Bearer ${apiKey}`);
  return (header) => timingSafeEqual(digest(header ?? ''), expected);
}

/**
 * An OpenAI-compatible server for a model, or for a model still loading (then /health answers 503
 * and chat completions 503 until it is ready). Call `listen` on the result to serve.
 */
export function createServer(model: Model | Promise<Model>, options: ServerOptions = {}): FastifyInstance {
  const maxQueue = positiveInteger('maxQueue', options.maxQueue ?? defaults.maxQueue);
  const maxBodyBytes = positiveInteger('maxBodyBytes', options.maxBodyBytes ?? defaults.maxBodyBytes);
  const defaultMaxTokens = positiveInteger(
    'defaultMaxTokens',
    options.defaultMaxTokens ?? defaults.defaultMaxTokens,
  );
  const graceMs = options.shutdownGraceMs ?? defaults.shutdownGraceMs;
  if (!Number.isFinite(graceMs) || graceMs < 0)
    throw new InvalidArgumentError(`shutdownGraceMs must be >= 0, got ${graceMs}`);
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === ''))
    throw new InvalidArgumentError('apiKey must be a non-empty string');
  if (
    options.imageRoot !== undefined &&
    !statSync(options.imageRoot, { throwIfNoEntry: false })?.isDirectory()
  )
    throw new InvalidArgumentError(`imageRoot must be an existing directory, got ${options.imageRoot}`);
  if (options.remoteFetch) remoteFetchLimits(options.remoteFetch);
  const modelName = options.modelName ?? defaults.modelName;

  const state: ServerState = new ServerState(
    {
      modelName,
      maxQueue,
      defaultMaxTokens,
      images: {
        imageRoot: options.imageRoot,
        allowRemoteImages: options.allowRemoteImages ?? false,
        remoteFetch: options.remoteFetch,
      },
    },
    new ServerMetrics(() => state.model),
  );
  Promise.resolve(model).then(
    (loaded) => {
      state.model = loaded;
    },
    (error: Error) => {
      state.loadError = error;
    },
  );

  const app = loadFastify()({
    logger: options.logger ?? false,
    bodyLimit: maxBodyBytes,
    // While closing, chat completions get our own 503 (OpenAI's shape, from state.ready()) and
    // /health says 'shutting_down'; fastify's stock 503 body would be neither.
    return503OnClosing: false,
    // Strict bodies: an unknown field or a string where a number belongs is a 400, not guessed at.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });

  if (options.apiKey !== undefined) {
    const validKey = keyChecker(options.apiKey);
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith('/v1/') && !validKey(request.headers.authorization))
        throw new HttpError(
          401,
          'Incorrect API key provided',
          'invalid_request_error',
          null,
          'invalid_api_key',
        );
    });
  }
  app.addHook('onResponse', async (request, reply) => {
    state.metrics.requests.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });
  // Closing: stop listening (idle connections end), let chat completions in flight finish for the
  // grace period, abort the rest, then end every connection left (keep-alive ones, and sockets that
  // never sent a request, which would otherwise hold close() for the keep-alive timeout).
  app.addHook('preClose', async () => {
    state.closing = true;
    if (app.server.listening) app.server.close();
    const abortTimer = setTimeout(() => state.abortAll('shutdown'), graceMs);
    await state.drained();
    clearTimeout(abortTimer);
    app.server.closeAllConnections();
  });

  app.setErrorHandler((error, request, reply) => {
    const http = toHttpError(error);
    if (http.statusCode >= 500) request.log.error(error);
    return reply.code(http.statusCode).headers(http.headers).send(http.body());
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        new HttpError(
          404,
          `no route ${request.method} ${request.url}`,
          'invalid_request_error',
          null,
          'not_found',
        ).body(),
      ),
  );

  registerInfoRoutes(app, state);
  registerChatCompletions(app, state);
  if (options.ui) registerWebDemo(app, { model: modelName, apiKeyRequired: options.apiKey !== undefined });
  return app;
}
