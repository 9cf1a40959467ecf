/**
 * What the golden models cannot be made to do, played by a stand-in model through the real server:
 * a grounded answer (boxes reach clients as `message.grounding`; streamed, on the last chunk's delta)
 * and failures inside the engine (a 500 in OpenAI's shape before the stream starts, an error event
 * that the openai client raises once it has).
 */
import { APIError, InternalServerError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ByteTokenizer,
  type ChatChunk,
  type GenerateResult,
  type Model,
  parseGrounding,
  Vl2Error,
} from '../../lib/index.js';
import { modelName, type Served, serve } from './serve.js';

const answer = '<|ref|>the cat<|/ref|><|det|>[[100, 200, 300, 400]]<|/det|>';
const imageSize: [number, number] = [640, 480];
const boxes = parseGrounding(answer, imageSize);

/** How the stand-in fails: never, before its first chunk, or after two. */
let failure: 'none' | 'at-once' | 'mid-stream' = 'none';
const engineFailure = () => new Vl2Error('VL2_CUDA', 'an illegal memory access was encountered');

/**
 * While set, the stand-in answers without end, a chunk every few ms, and ends like the engine when
 * aborted: its last chunk (finish 'abort') a little after the signal, its result only once iterated.
 */
let endless = false;
const chunkEveryMs = 5;
const abortLatencyMs = 50;

function endlessAnswer(signal: AbortSignal) {
  let resolve!: (result: GenerateResult) => void;
  const result = new Promise<GenerateResult>((r) => (resolve = r));
  return {
    async *[Symbol.asyncIterator]() {
      let count = 0;
      while (!signal.aborted) {
        await new Promise((r) => setTimeout(r, chunkEveryMs));
        count++;
        yield { text: 'a', tokenIds: [100], logprobs: [-0.5] } as ChatChunk;
      }
      await new Promise((r) => setTimeout(r, abortLatencyMs));
      yield { text: '', tokenIds: [], logprobs: [], finishReason: 'abort' } as ChatChunk;
      resolve({
        text: 'a'.repeat(count),
        tokenIds: Array(count).fill(100),
        finishReason: 'abort',
        usage: { promptTokens: 5, imageTokens: 0, completionTokens: count },
        timings: { timeToFirstTokenMs: 1, tokensPerSecond: 1, totalMs: 1 },
        boxes: [],
      });
    },
    result,
  };
}

/** Answers every chat with `answer`, one character per chunk. */
const standIn = {
  device: 'cpu',
  processor: { tokenizer: new ByteTokenizer(1024) },
  chat(_messages: unknown, options: { signal: AbortSignal }) {
    if (endless) return endlessAnswer(options.signal);
    if (failure === 'at-once')
      return {
        // biome-ignore lint/correctness/useYield: it fails before its first chunk
        async *[Symbol.asyncIterator]() {
          throw engineFailure();
        },
        result: Promise.reject(engineFailure()).catch(() => undefined),
      };
    const chunks: ChatChunk[] = [...answer].map((text, i) => ({
      text,
      tokenIds: [3 + text.charCodeAt(0)],
      logprobs: [-0.5],
      ...(i === answer.length - 1 ? { finishReason: 'stop' as const } : {}),
    }));
    const result: GenerateResult = {
      text: answer,
      tokenIds: chunks.flatMap((c) => c.tokenIds),
      finishReason: 'stop',
      usage: { promptTokens: 600, imageTokens: 421, completionTokens: chunks.length },
      timings: { timeToFirstTokenMs: 1, tokensPerSecond: 1, totalMs: 1 },
      boxes,
    };
    return {
      async *[Symbol.asyncIterator]() {
        if (failure === 'mid-stream') {
          yield* chunks.slice(0, 2);
          throw engineFailure();
        }
        yield* chunks;
      },
      result: Promise.resolve(result),
    };
  },
} as unknown as Model;

let served: Served;
beforeAll(async () => {
  served = await serve(standIn);
});
afterAll(() => served.app.close());

describe('grounding boxes', () => {
  const request = { model: modelName, messages: [{ role: 'user' as const, content: 'Where is the cat?' }] };

  it('come back as message.grounding, in 0..999 and in pixels', async () => {
    const completion = await served.client.chat.completions.create(request);
    const message = completion.choices[0]?.message as unknown as { content: string; grounding: unknown };
    expect(message.content).toBe(answer);
    expect(message.grounding).toEqual([
      { label: 'the cat', boxes: [{ normalized: [100, 200, 300, 400], pixels: [64, 96, 192, 192] }] },
    ]);
    expect(completion.usage).toMatchObject({
      prompt_tokens: 600,
      prompt_tokens_details: { image_tokens: 421 },
    });
  });

  it('arrive on the last chunk of a stream, with its finish_reason', async () => {
    const chunks = [];
    for await (const chunk of await served.client.chat.completions.create({ ...request, stream: true }))
      chunks.push(chunk);
    const last = chunks.at(-1)?.choices[0];
    expect(last?.finish_reason).toBe('stop');
    expect((last?.delta as { grounding?: unknown } | undefined)?.grounding).toEqual(boxes);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(answer);
  });
});

describe('engine failures', () => {
  const request = { model: modelName, messages: [{ role: 'user' as const, content: 'Hello.' }] };
  afterAll(() => {
    failure = 'none';
  });

  it('before the answer starts: 500 in OpenAI shape, whole or streamed', async () => {
    failure = 'at-once';
    await expect(served.client.chat.completions.create(request)).rejects.toBeInstanceOf(InternalServerError);
    const response = await fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, stream: true }),
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: {
        message: 'an illegal memory access was encountered',
        type: 'server_error',
        param: null,
        code: 'vl2_cuda',
      },
    });
  });

  it('mid-stream: an error event, which the openai client raises', async () => {
    failure = 'mid-stream';
    const stream = await served.client.chat.completions.create({ ...request, stream: true });
    const texts: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) texts.push(chunk.choices[0]?.delta.content ?? '');
    })();
    await expect(reading).rejects.toBeInstanceOf(APIError);
    await expect(reading).rejects.toThrow(/illegal memory access/);
    expect(texts.join('')).toBe(answer.slice(0, 2));
  });
});

describe('a stream the client leaves', () => {
  afterAll(() => {
    endless = false;
  });

  it('is counted as an aborted completion, also when the engine ends it after the connection closed', async () => {
    endless = true;
    const metric = async () =>
      /^vl2_chat_completions_total\{finish_reason="abort"\} (\d+)$/m.exec(
        await (await fetch(`${served.url}/metrics`)).text(),
      )?.[1];
    const controller = new AbortController();
    const stream = await served.client.chat.completions.create(
      { model: modelName, messages: [{ role: 'user', content: 'Go on.' }], stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    for await (const _ of stream) if (++chunks === 3) break; // leaving the loop closes the connection
    await expect.poll(metric, { timeout: 5_000 }).toBe('1');
    expect(await (await fetch(`${served.url}/metrics`)).text()).toMatch(/^vl2_queue_depth 0$/m);
  });
});
