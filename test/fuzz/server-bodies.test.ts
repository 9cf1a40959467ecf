/**
 * Fuzz: the server's request bodies (lib/server). POST /v1/chat/completions gets mutated, cut or noisy
 * versions of valid requests (text and image content parts, streaming or not, sampling fields, a
 * response format): every answer is a 200 (a completion, or an SSE stream ending in [DONE]) or a
 * 4xx in OpenAI's error shape; never a 5xx, a hang or a dropped connection, and the server answers
 * a plain request afterwards.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelName, useServer } from '../server/serve.js';
import { goldenPath } from '../support/golden.js';
import { fuzzRuns, jsonishText } from './arbitraries.js';

const context = useServer();
const png = readFileSync(goldenPath('images', 'synthetic-20x20.png')).toString('base64');

const examples = [
  { model: modelName, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 3 },
  {
    model: modelName,
    stream: true,
    max_tokens: 3,
    temperature: 0.7,
    top_p: 0.9,
    seed: 5,
    stop: ['\n'],
    messages: [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
        ],
      },
    ],
  },
];

async function send(text: string) {
  const response = await fetch(`${context.served.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: text,
    signal: AbortSignal.timeout(60_000),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

describe('fuzz: server request bodies', () => {
  it('every body gets a completion or a 4xx OpenAI error, never a 5xx or a hang', async () => {
    let completed = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(...examples.map((e) => jsonishText(e))), async (text) => {
        const { status, type, body } = await send(text);
        if (status === 200) {
          completed++;
          if (type.includes('text/event-stream')) expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
          else expect(JSON.parse(body)).toMatchObject({ object: 'chat.completion' });
          return;
        }
        expect(status, body).toBeGreaterThanOrEqual(400);
        expect(status, body).toBeLessThan(500);
        expect(JSON.parse(body)).toMatchObject({
          error: { message: expect.any(String), type: expect.any(String) },
        });
      }),
      { numRuns: fuzzRuns(200) },
    );
    expect(completed).toBeGreaterThan(0);
    const after = await send(JSON.stringify(examples[0]));
    expect(after.status).toBe(200);
  });
});
