/**
 * /v1/chat/completions through the official openai client against a real server (golden tiny model,
 * CPU, loopback): whole and streamed answers equal model.generate's for the same greedy request;
 * images as data: URLs; usage with image tokens; stop strings; logprobs; stream_options.include_usage.
 */
import { readFile } from 'node:fs/promises';
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../lib/index.js';
import { goldenPath } from '../support/golden.js';
import { modelName, useServer } from './serve.js';

const context = useServer();
const question = 'Describe a sunny day at the beach.';
const userText: ChatCompletionMessageParam[] = [{ role: 'user', content: question }];
const modelText: ChatMessage[] = [{ role: 'user', content: question }];

async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const choices = chunks.flatMap((c) => c.choices);
  return {
    chunks,
    text: choices.map((c) => c.delta.content ?? '').join(''),
    finish: choices.find((c) => c.finish_reason)?.finish_reason,
  };
}

describe('POST /v1/chat/completions', () => {
  it('answers as model.generate does for the same greedy request, with usage', async () => {
    const { model, served } = context;
    const expected = await model.generate(modelText, { maxTokens: 24 });
    const completion = await served.client.chat.completions.create({
      model: modelName,
      messages: userText,
      max_tokens: 24,
      temperature: 0,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe(modelName);
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: expected.text });
    expect(completion.choices[0]?.finish_reason).toBe(expected.finishReason);
    expect(completion.usage).toMatchObject({
      prompt_tokens: expected.usage.promptTokens,
      completion_tokens: expected.usage.completionTokens,
      total_tokens: expected.usage.promptTokens + expected.usage.completionTokens,
    });
  });

  it('streams role first, content deltas, a finish chunk, usage and [DONE], joining to the same answer', async () => {
    const { model, served } = context;
    const expected = await model.generate(modelText, { maxTokens: 24 });
    const stream = await served.client.chat.completions.create({
      model: modelName,
      messages: userText,
      max_completion_tokens: 24,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, text, finish } = await collect(stream);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(text).toBe(expected.text);
    expect(finish).toBe(expected.finishReason);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({
      prompt_tokens: expected.usage.promptTokens,
      completion_tokens: expected.usage.completionTokens,
    });
    // Every chunk before the usage chunk carries usage: null, as OpenAI's do.
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('ends the raw stream with data: [DONE]', async () => {
    const response = await fetch(`${context.served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: modelName, messages: userText, max_tokens: 3, stream: true }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await response.text();
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(
      body
        .split('\n\n')
        .filter(Boolean)
        .every((event) => event.startsWith('data: ')),
    ).toBe(true);
  });

  it('takes an image as a data: URL, counting its tokens in prompt_tokens', async () => {
    const { model, served } = context;
    const bytes = await readFile(goldenPath('images', 'monday.jpg'));
    const expected = await model.generate(
      [
        {
          role: 'user',
          content: [
            { type: 'image', image: bytes },
            { type: 'text', text: 'What day is it?' },
          ],
        },
      ],
      { maxTokens: 12 },
    );
    expect(expected.usage.imageTokens).toBeGreaterThan(0);
    const completion = await served.client.chat.completions.create({
      model: modelName,
      max_tokens: 12,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${bytes.toString('base64')}` } },
            { type: 'text', text: 'What day is it?' },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe(expected.text);
    expect(completion.usage?.prompt_tokens).toBe(expected.usage.promptTokens);
    const details = completion.usage?.prompt_tokens_details as { image_tokens?: number };
    expect(details.image_tokens).toBe(expected.usage.imageTokens);
  });

  it('cuts the answer before a stop string, whole and streamed, with finish_reason stop', async () => {
    const { model, served } = context;
    const long = await model.generate(modelText, { maxTokens: 40 });
    const at = long.text.length >> 1;
    const stop = long.text.slice(at, at + 3);
    const cut = long.text.slice(0, long.text.indexOf(stop));
    const whole = await served.client.chat.completions.create({
      model: modelName,
      messages: userText,
      max_tokens: 40,
      stop,
    });
    expect(whole.choices[0]?.message.content).toBe(cut);
    expect(whole.choices[0]?.finish_reason).toBe('stop');
    const streamed = await collect(
      await served.client.chat.completions.create({
        model: modelName,
        messages: userText,
        max_tokens: 40,
        stop: [stop, 'never appears'],
        stream: true,
      }),
    );
    expect(streamed.text).toBe(cut);
    expect(streamed.finish).toBe('stop');
  });

  it('returns the log-probability of every generated token', async () => {
    const { served } = context;
    const completion = await served.client.chat.completions.create({
      model: modelName,
      messages: userText,
      max_tokens: 8,
      logprobs: true,
    });
    const entries = completion.choices[0]?.logprobs?.content ?? [];
    expect(entries).toHaveLength(completion.usage?.completion_tokens ?? -1);
    for (const entry of entries) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.top_logprobs).toEqual([]);
    }
    expect(entries.map((e) => e.token).join('')).toBe(completion.choices[0]?.message.content);
    const stream = await served.client.chat.completions.create({
      model: modelName,
      messages: userText,
      max_tokens: 8,
      logprobs: true,
      stream: true,
    });
    const streamed = (await collect(stream)).chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []);
    expect(streamed.map((e) => e.logprob)).toEqual(entries.map((e) => e.logprob));
  });

  it('samples reproducibly with a seed and the extension parameters', async () => {
    const { served } = context;
    const request = {
      model: modelName,
      messages: userText,
      max_tokens: 12,
      temperature: 0.9,
      top_p: 0.95,
      seed: 7,
      top_k: 40,
      min_p: 0.01,
    };
    const a = await served.client.chat.completions.create(request);
    const b = await served.client.chat.completions.create(request);
    expect(a.choices[0]?.message.content).toBe(b.choices[0]?.message.content);
  });

  it('takes a multi-turn conversation with a system (or developer) message as the model does', async () => {
    const { model, served } = context;
    const turns: ChatMessage[] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Name a colour.' },
      { role: 'assistant', content: 'Blue.' },
      { role: 'user', content: 'Another one.' },
    ];
    const expected = await model.generate(turns, { maxTokens: 12 });
    for (const systemRole of ['system', 'developer'] as const) {
      const completion = await served.client.chat.completions.create({
        model: modelName,
        max_tokens: 12,
        messages: [
          { role: systemRole, content: 'You are terse.' },
          { role: 'user', content: [{ type: 'text', text: 'Name a colour.' }] },
          { role: 'assistant', content: 'Blue.' },
          { role: 'user', content: 'Another one.' },
        ],
      });
      expect(completion.choices[0]?.message.content).toBe(expected.text);
      expect(completion.usage?.prompt_tokens).toBe(expected.usage.promptTokens);
    }
  });

  it('gives 200 streamed requests at concurrency 32 each exactly the tokens model.generate gives', async () => {
    const { model, served } = context;
    const questions = Array.from({ length: 200 }, (_, i) => `Question ${i}: what comes after ${i * 7}?`);
    const expected: string[] = [];
    for (const q of questions)
      expected.push((await model.generate([{ role: 'user', content: q }], { maxTokens: 12 })).text);
    const got: string[] = new Array(questions.length);
    let next = 0;
    const client = async () => {
      while (next < questions.length) {
        const i = next++;
        const stream = await served.client.chat.completions.create({
          model: modelName,
          messages: [{ role: 'user', content: questions[i] as string }],
          max_tokens: 12,
          stream: true,
        });
        got[i] = (await collect(stream)).text;
      }
    };
    await Promise.all(Array.from({ length: 32 }, client));
    expect(got).toEqual(expected);
    // Distinct prompts give distinct answers here, so a mixed-up stream could not pass unnoticed.
    expect(new Set(expected).size).toBeGreaterThan(100);
  });

  it('lists the model', async () => {
    const models = await context.served.client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([modelName]);
    expect((await context.served.client.models.retrieve(modelName)).id).toBe(modelName);
  });
});
