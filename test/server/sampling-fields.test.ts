/**
 * The sampling fields of /v1/chat/completions reach the engine: each is sent through the official
 * openai client to a real server on the golden tiny model and shown to change the answer the way the
 * same option changes model.chat's. The golden model's weights are random, so at temperature 2 its
 * next token is spread over a large vocabulary: two 32-token samples that ignore the seed, or a
 * sample that ignored the temperature, cannot agree by chance. (top_logprobs > 0 is refused with a
 * 400, tested in http.test.ts: the engine reports only the chosen token's log-probability.)
 */
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, GenerateOptions } from '../../lib/index.js';
import { modelName, useServer } from './serve.js';

const context = useServer();
const question = 'Describe a sunny day at the beach.';
const modelText: ChatMessage[] = [{ role: 'user', content: question }];
const maxTokens = 32;
/** The hottest temperature the server accepts. */
const hot = 2;
const seeds = [1, 2, 3];

/** top_k, min_p and repetition_penalty are extensions: the typed client sends them as they are. */
type Request = Omit<ChatCompletionCreateParamsNonStreaming, 'model' | 'messages'> & {
  top_k?: number;
  min_p?: number;
  repetition_penalty?: number;
};

async function ask(request: Request) {
  const completion = await context.served.client.chat.completions.create({
    model: modelName,
    messages: [{ role: 'user', content: question }],
    max_tokens: maxTokens,
    ...request,
  });
  const choice = completion.choices[0];
  if (!choice) throw new Error('no choice in the completion');
  return { text: choice.message.content ?? '', logprobs: choice.logprobs?.content ?? null, choice };
}

/** The same request in-process: text, each token's text and its log-probability from model.chat's chunks. */
async function inProcess(options: GenerateOptions) {
  const { model } = context;
  const stream = model.chat(modelText, { maxTokens, ...options });
  const tokenIds: number[] = [];
  const logprobs: number[] = [];
  for await (const chunk of stream) {
    tokenIds.push(...chunk.tokenIds);
    logprobs.push(...chunk.logprobs);
  }
  const result = await stream.result;
  const tokens = tokenIds.map((id) => model.processor.tokenizer.decode([id]));
  return { text: result.text, tokens, logprobs, finishReason: result.finishReason };
}

describe('sampling fields of /v1/chat/completions', () => {
  it('temperature: a hot sample differs from the greedy answer, and both are the engine’s', async () => {
    const greedy = await ask({ temperature: 0 });
    expect(greedy.text).toBe((await inProcess({})).text);
    for (const seed of seeds) {
      const sampled = await ask({ temperature: hot, seed });
      expect(sampled.text).toBe((await inProcess({ temperature: hot, seed })).text);
      expect(sampled.text).not.toBe(greedy.text);
    }
  });

  it('seed: the same seed twice gives the same sample, different seeds different ones', async () => {
    const texts: string[] = [];
    for (const seed of seeds) {
      const first = await ask({ temperature: hot, seed });
      const again = await ask({ temperature: hot, seed });
      expect(again.text).toBe(first.text);
      expect(first.text).toBe((await inProcess({ temperature: hot, seed })).text);
      texts.push(first.text);
    }
    expect(new Set(texts).size).toBe(seeds.length);
  });

  it('top_k 1 at a hot temperature keeps only the most likely token: the greedy answer', async () => {
    const greedy = await ask({ temperature: 0 });
    for (const seed of seeds) {
      const sampled = await ask({ temperature: hot, seed, top_k: 1 });
      expect(sampled.text).toBe(greedy.text);
    }
  });

  it('top_p, min_p and repetition_penalty each change the answer as model.chat’s option does', async () => {
    const cases: { request: Request; options: GenerateOptions }[] = [
      { request: { temperature: hot, seed: seeds[0], top_p: 0.5 }, options: { topP: 0.5 } },
      { request: { temperature: hot, seed: seeds[0], min_p: 0.5 }, options: { minP: 0.5 } },
      // A greedy answer of the golden model never repeats a token, so the penalty shows in the
      // log-probabilities of a sample (it lowers the odds of every token already seen).
      {
        request: { temperature: 1, seed: seeds[0], repetition_penalty: 1.5 },
        options: { repetitionPenalty: 1.5 },
      },
    ];
    /** What a dropped option would change: the tokens or their log-probabilities. */
    const seen = ({ tokens, logprobs }: { tokens: string[]; logprobs: number[] }) => ({ tokens, logprobs });
    for (const { request, options } of cases) {
      const base = { temperature: request.temperature ?? 0, seed: request.seed ?? undefined };
      const without = seen(await inProcess(base));
      const expected = seen(await inProcess({ ...base, ...options }));
      // The option matters for this request, so a server that dropped it would answer `without`.
      expect(expected).not.toEqual(without);
      const served = await ask({ ...request, logprobs: true });
      const entries = served.logprobs ?? [];
      expect({ tokens: entries.map((e) => e.token), logprobs: entries.map((e) => e.logprob) }).toEqual(
        expected,
      );
    }
  });

  it('logprobs: every token and log-probability equal model.chat’s for the same request', async () => {
    const cases: { request: Request; options: GenerateOptions }[] = [
      { request: { temperature: 0 }, options: {} },
      { request: { temperature: hot, seed: seeds[0] }, options: { temperature: hot, seed: seeds[0] } },
      {
        request: { temperature: 0.8, seed: seeds[1], top_k: 40, top_p: 0.9 },
        options: { temperature: 0.8, seed: seeds[1], topK: 40, topP: 0.9 },
      },
    ];
    for (const { request, options } of cases) {
      const served = await ask({ ...request, logprobs: true });
      const expected = await inProcess(options);
      expect(served.text).toBe(expected.text);
      expect(served.choice.finish_reason).toBe(expected.finishReason);
      const entries = served.logprobs ?? [];
      expect(entries.map((e) => e.token)).toEqual(expected.tokens);
      expect(entries.map((e) => e.logprob)).toEqual(expected.logprobs);
    }
  });

  it('answers without logprobs when they are not asked for', async () => {
    expect((await ask({ temperature: 0 })).logprobs).toBeNull();
  });
});
