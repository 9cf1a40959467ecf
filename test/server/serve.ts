/** Starts a server for a test on a random loopback port, with an OpenAI client pointed at it. */
import OpenAI from 'openai';
import { afterAll, beforeAll } from 'vitest';
import { createServer, loadModel, type Model, type ServerOptions } from '../../lib/index.js';
import { goldenPath } from '../support/golden.js';

export const modelName = 'tiny-golden';

/** The golden tiny model on the CPU with the fixture tokenizer (its real vocabulary). */
export function loadTiny(): Promise<Model> {
  return loadModel(goldenPath('models', 'tiny'), {
    device: 'cpu',
    tokenizer: goldenPath('tokenizer', 'tokenizer.json'),
    cacheTokens: 8192,
  });
}

export interface Served {
  url: string;
  client: OpenAI;
  app: ReturnType<typeof createServer>;
}

/** createServer + listen on 127.0.0.1:0; closed after the file. */
export async function serve(model: Model | Promise<Model>, options: ServerOptions = {}): Promise<Served> {
  const app = createServer(model, { modelName, ...options });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const client = new OpenAI({
    baseURL: `${address}/v1`,
    apiKey: options.apiKey ?? 'unused',
    maxRetries: 0, // a 429 or 503 must reach the test, not be retried
  });
  return { url: address, client, app };
}

/** One model and one server per test file. */
export function useServer(options: ServerOptions = {}): { model: Model; served: Served } {
  const context = {} as { model: Model; served: Served };
  beforeAll(async () => {
    context.model = await loadTiny();
    context.served = await serve(context.model, options);
  });
  afterAll(async () => {
    await context.served?.app.close();
    await context.model?.close();
  });
  return context;
}

/** An OpenAI error body, or any other JSON answer, as tests read it. */
export type JsonBody = {
  error: { message: string; type: string; param: string | null; code: string | null };
} & Record<string, unknown>;

/** POSTs JSON with fetch (for bodies the typed client will not send) and returns status and body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as JsonBody,
  };
}
