/**
 * The HTTP surface around generation: OpenAI error bodies and statuses for bad requests (400), bad
 * keys (401), unknown routes and models (404), oversized bodies (413), a full queue (429); /health
 * while loading and once loaded; /metrics counters; a client that disconnects frees its request;
 * closing lets requests in flight finish, then aborts what outlives the grace period.
 */
import { APIError, AuthenticationError, RateLimitError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, InvalidArgumentError, type Model } from '../../lib/index.js';
import { loadTiny, modelName, post, type Served, serve } from './serve.js';

let model: Model;
let served: Served;
const opened: Served[] = [];
const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hello there.' }];

beforeAll(async () => {
  model = await loadTiny();
  served = await serve(model);
  opened.push(served);
});
afterAll(async () => {
  for (const s of opened) await s.app.close();
  await model.close();
});

async function another(options: Parameters<typeof serve>[1]): Promise<Served> {
  const s = await serve(model, options);
  opened.push(s);
  return s;
}

const errorShape = {
  error: {
    message: expect.any(String),
    type: expect.any(String),
    param: expect.toBeOneOf([expect.any(String), null]),
    code: expect.toBeOneOf([expect.any(String), null]),
  },
};

const settle = async (done: () => boolean) => {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('bad requests get 400 in OpenAI error shape', () => {
  it.each([
    ['no messages', { model: modelName }, 'messages'],
    ['empty messages', { model: modelName, messages: [] }, 'messages'],
    ['a string temperature', { model: modelName, messages, temperature: 'hot' }, 'temperature'],
    ['temperature out of range', { model: modelName, messages, temperature: 3 }, 'temperature'],
    ['a fractional max_tokens', { model: modelName, messages, max_tokens: 1.5 }, 'max_tokens'],
    ['an unsupported field', { model: modelName, messages, audio: { voice: 'alloy' } }, 'audio'],
    [
      'tools',
      { model: modelName, messages, tools: [{ type: 'function', function: { name: 'f' } }] },
      'tools',
    ],
    [
      'an unknown response format type',
      { model: modelName, messages, response_format: { type: 'xml' } },
      'response_format.type',
    ],
    ['a logit bias', { model: modelName, messages, logit_bias: { '42': 5 } }, 'logit_bias'],
    ['a tool message', { model: modelName, messages: [{ role: 'tool', content: 'x' }] }, 'messages.0.role'],
    [
      'an audio part',
      { model: modelName, messages: [{ role: 'user', content: [{ type: 'input_audio' }] }] },
      null,
    ],
    ['n > 1', { model: modelName, messages, n: 2 }, 'n'],
    ['top_logprobs > 0', { model: modelName, messages, logprobs: true, top_logprobs: 3 }, 'top_logprobs'],
    ['a presence penalty', { model: modelName, messages, presence_penalty: 0.5 }, 'presence_penalty'],
    ['five stop strings', { model: modelName, messages, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
  ])('%s', async (_name, body, param) => {
    const response = await post(`${served.url}/v1/chat/completions`, body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject(errorShape);
    expect(response.body.error.type).toBe('invalid_request_error');
    if (param) expect(response.body.error.param).toBe(param);
  });

  it.each([
    ['no model', { messages }, "missing required field 'model'"],
    [
      'five stop strings',
      { model: modelName, messages, stop: ['a', 'b', 'c', 'd', 'e'] },
      'stop must NOT have more than 4 items',
    ],
    [
      'an audio part',
      { model: modelName, messages: [{ role: 'user', content: [{ type: 'input_audio' }] }] },
      'messages.0.content.0.type must be equal to one of the allowed values ("text", "image_url")',
    ],
  ])('the message names what is wrong: %s', async (_name, body, message) => {
    const response = await post(`${served.url}/v1/chat/completions`, body);
    expect(response.body.error.message).toBe(`invalid request: ${message}`);
  });

  it('accepts the no-op forms of fields clients send by default', async () => {
    const response = await post(`${served.url}/v1/chat/completions`, {
      model: modelName,
      messages,
      max_tokens: 2,
      tools: [],
      tool_choice: 'none',
      parallel_tool_calls: false,
      response_format: { type: 'text' },
      logit_bias: {},
      store: false,
      metadata: { team: 'search' },
      user: 'u-1',
      frequency_penalty: 0,
      presence_penalty: 0,
      n: 1,
    });
    expect(response.status).toBe(200);
  });

  it('malformed JSON', async () => {
    const response = await post(`${served.url}/v1/chat/completions`, '{"model": ');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject(errorShape);
  });

  it('a conversation that does not end with a user message', async () => {
    const response = await post(`${served.url}/v1/chat/completions`, {
      model: modelName,
      messages: [...messages, { role: 'assistant', content: 'Hi.' }],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/end with a user message/);
  });

  it('a malformed or undecodable data: image: 400 invalid_image', async () => {
    for (const url of ['data:image/png,%E0%A4%A', 'data:image/png;base64,bm90IGFuIGltYWdl']) {
      const response = await post(`${served.url}/v1/chat/completions`, {
        model: modelName,
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }],
      });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_image');
    }
  });

  it('a prompt past the context: 400 context_length_exceeded', async () => {
    const response = await post(`${served.url}/v1/chat/completions`, {
      model: modelName,
      messages: [{ role: 'user', content: 'many words '.repeat(3000) }],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('context_length_exceeded');
  });

  it('n > 1 refused through the client too, saying what to do', async () => {
    const failure = await served.client.chat.completions
      .create({ model: modelName, messages: [{ role: 'user', content: 'x' }], n: 3 })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).status).toBe(400);
    expect((failure as APIError).message).toMatch(/n > 1 is not supported/);
  });
});

describe('createServer options', () => {
  it('are checked when the server is created', () => {
    expect(() => createServer(model, { maxQueue: 0 })).toThrow(InvalidArgumentError);
    expect(() => createServer(model, { apiKey: '' })).toThrow(/apiKey/);
    expect(() => createServer(model, { imageRoot: '/no/such/folder' })).toThrow(/existing directory/);
    expect(() => createServer(model, { remoteFetch: { maxBytes: -1 } })).toThrow(/maxBytes/);
  });
});

describe('other statuses', () => {
  it('404 for an unknown route and an unknown model', async () => {
    const route = await fetch(`${served.url}/v1/embeddings`, { method: 'POST' });
    expect(route.status).toBe(404);
    expect(await route.json()).toMatchObject(errorShape);
    const unknown = await post(`${served.url}/v1/chat/completions`, { model: 'gpt-4o', messages });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('model_not_found');
  });

  it('413 for a body over the limit', async () => {
    const small = await another({ maxBodyBytes: 1024 });
    const response = await post(`${small.url}/v1/chat/completions`, {
      model: modelName,
      messages: [{ role: 'user', content: 'x'.repeat(4096) }],
    });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject(errorShape);
  });

  it('401 without the API key or with a wrong one; /health and /metrics stay open', async () => {
    const keyed = await another({ apiKey: 'sk-test-key' });
    const ok = await keyed.client.chat.completions.create({
      model: modelName,
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 2,
    });
    expect(ok.choices[0]?.message.content).toBeTypeOf('string');
    const wrong = await post(
      `${keyed.url}/v1/chat/completions`,
      { model: modelName, messages },
      { authorization: 'Bearer nope' },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_api_key');
    const missing = await fetch(`${keyed.url}/v1/models`);
    expect(missing.status).toBe(401);
    const { default: OpenAI } = await import('openai');
    const badClient = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(badClient.models.list()).rejects.toBeInstanceOf(AuthenticationError);
    expect((await fetch(`${keyed.url}/health`)).status).toBe(200);
    expect((await fetch(`${keyed.url}/metrics`)).status).toBe(200);
  });

  it('429 with Retry-After when --max-queue requests are in flight', async () => {
    const one = await another({ maxQueue: 1 });
    const controller = new AbortController();
    const first = await one.client.chat.completions.create(
      { model: modelName, messages, max_tokens: 4000, stream: true },
      { signal: controller.signal },
    );
    const iterator = first[Symbol.asyncIterator]();
    await iterator.next(); // admitted and generating
    const response = await post(`${one.url}/v1/chat/completions`, {
      model: modelName,
      messages,
      max_tokens: 2,
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.body.error.code).toBe('queue_full');
    await expect(
      one.client.chat.completions.create({ model: modelName, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(RateLimitError);
    controller.abort();
    await iterator.return?.();
  });
});

describe('client disconnects', () => {
  const cacheFree = () => model.info().cacheFreeTokens;
  const capacity = () => model.info().cacheCapacityTokens;
  // Answers that ran to max_tokens (or the context): an abandoned request must not be one of them.
  // (A step count would depend on how fast this machine is; the finish reason does not.)
  const completedByLength = async () => {
    const metrics = await (await fetch(`${served.url}/metrics`)).text();
    return Number(/^vl2_chat_completions_total\{finish_reason="length"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  };

  it('a stream the client aborts ends its generation and frees its cache blocks', async () => {
    await settle(() => cacheFree() === capacity());
    const lengthBefore = await completedByLength();
    const controller = new AbortController();
    const stream = await served.client.chat.completions.create(
      { model: modelName, messages, max_tokens: 4000, stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    for await (const _ of stream) {
      if (++chunks < 3) continue;
      controller.abort(); // closes the connection: the server sees the client go
      break;
    }
    await settle(() => cacheFree() === capacity());
    expect(cacheFree()).toBe(capacity());
    // The generation stopped with the client instead of writing its 4000 tokens.
    expect(await completedByLength()).toBe(lengthBefore);
    const metrics = await (await fetch(`${served.url}/metrics`)).text();
    expect(metrics).toMatch(/^vl2_queue_depth 0$/m);
  });

  it('a non-streaming request the client abandons is aborted too', async () => {
    await settle(() => cacheFree() === capacity());
    const stepsBefore = model.stats().steps;
    const lengthBefore = await completedByLength();
    const controller = new AbortController();
    const pending = served.client.chat.completions.create(
      { model: modelName, messages, max_tokens: 4000 },
      { signal: controller.signal },
    );
    await settle(() => model.stats().steps > stepsBefore + 2);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await settle(() => cacheFree() === capacity());
    expect(cacheFree()).toBe(capacity());
    expect(await completedByLength()).toBe(lengthBefore);
  });
});

describe('/health and /metrics', () => {
  it('/health is 503 while the model loads and 200 once it is ready', async () => {
    let resolve!: (m: Model) => void;
    const pending = new Promise<Model>((r) => {
      resolve = r;
    });
    const s = await serve(pending);
    opened.push(s);
    const before = await fetch(`${s.url}/health`);
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ status: 'loading' });
    const early = await post(`${s.url}/v1/chat/completions`, { model: modelName, messages });
    expect(early.status).toBe(503);
    expect(early.body.error.code).toBe('loading');
    resolve(model);
    await pending;
    const after = await fetch(`${s.url}/health`);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ status: 'ok', backend: 'cpu' });
  });

  it('/metrics counts requests by status, tokens, latencies and reads the KV cache', async () => {
    await served.client.chat.completions.create({
      model: modelName,
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 4,
    });
    await post(`${served.url}/v1/chat/completions`, { model: modelName });
    const response = await fetch(`${served.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(
      value(/^vl2_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="200"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(
      value(/^vl2_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="400"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(value(/^vl2_prompt_tokens_total (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^vl2_completion_tokens_total (\d+)$/m)).toBeGreaterThanOrEqual(4);
    expect(value(/^vl2_time_to_first_token_seconds_count (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^vl2_inter_token_latency_seconds_count (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^vl2_kv_cache_capacity_tokens (\d+)$/m)).toBe(model.info().cacheCapacityTokens);
    expect(text).toMatch(/^vl2_kv_cache_usage_ratio [\d.e-]+$/m);
    expect(text).toMatch(/^vl2_queue_depth \d+$/m);
    expect(text).toMatch(/^vl2_device_memory_bytes\{kind="kv_cache"\} \d+$/m);
  });
});

describe('graceful close', () => {
  it('refuses new requests, lets one in flight finish, then closes', async () => {
    const s = await another({});
    const stream = await s.client.chat.completions.create({
      model: modelName,
      messages,
      max_tokens: 48,
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const closing = s.app.close();
    const refused = await post(`${s.url}/v1/chat/completions`, { model: modelName, messages }).then(
      (r) => r.body.error.code,
      () => 'connection refused',
    );
    expect(['shutting_down', 'connection refused']).toContain(refused);
    const rest: ChatCompletionChunk[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value);
    expect(rest.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('length');
    await closing;
  });

  it('aborts what is still running after the grace period, with an error event on the stream', async () => {
    const s = await another({ shutdownGraceMs: 0 });
    const stream = await s.client.chat.completions.create({
      model: modelName,
      messages,
      max_tokens: 4000,
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const closing = s.app.close();
    const drained = (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next());
    })();
    await expect(drained).rejects.toThrow(/shutting down/);
    await closing;
    await settle(() => model.info().cacheFreeTokens === model.info().cacheCapacityTokens);
    expect(model.info().cacheFreeTokens).toBe(model.info().cacheCapacityTokens);
  });
});
