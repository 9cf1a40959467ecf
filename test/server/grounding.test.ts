/**
 * Grounding boxes reach clients as an extension of the message (`message.grounding`; streamed, on
 * the last chunk's delta). The golden models' random weights never write a grounding block, so a
 * stand-in model replays a canned answer through the real server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ByteTokenizer,
  type ChatChunk,
  type GenerateResult,
  type Model,
  parseGrounding,
} from '../../lib/index.js';
import { modelName, type Served, serve } from './serve.js';

const answer = '<|ref|>the cat<|/ref|><|det|>[[100, 200, 300, 400]]<|/det|>';
const imageSize: [number, number] = [640, 480];
const boxes = parseGrounding(answer, imageSize);

/** Answers every chat with `answer`, one character per chunk. */
const standIn = {
  device: 'cpu',
  processor: { tokenizer: new ByteTokenizer(1024) },
  chat() {
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
    expect((last?.delta as { grounding?: unknown }).grounding).toEqual(boxes);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(answer);
  });
});
