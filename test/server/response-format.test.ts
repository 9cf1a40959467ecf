/**
 * response_format through `vl2 serve`'s app and the official openai client: json_schema (strict)
 * and json_object answers, plain and streamed, sampled hot over several seeds on golden random-weight
 * models (only the constraint can make them valid), parse and validate with ajv; the extension types
 * (regex, grounding) likewise; malformed and unsupported schemas are a 400 naming the keyword before
 * any generation. Small (byte vocabulary, fast) takes the sampled answers; Tiny (the real tokenizer)
 * one strict schema.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGrounding } from '../../lib/grounding.js';
import { loadModel, type Model } from '../../lib/index.js';
import { validator } from '../structured/oracle.js';
import { constrainedSchemas } from '../support/constrained-generation.js';
import { goldenPath } from '../support/golden.js';
import { goldenTokenizer } from '../support/golden-tokenizer.js';
import { loadTiny, modelName, post, type Served, serve } from './serve.js';

const seeds = [0, 1, 2, 3, 4, 5];
let small: Model;
let served: Served;
let tiny: Model;
let servedTiny: Served;

beforeAll(async () => {
  small = await loadModel(goldenPath('models', 'small'), {
    device: 'cpu',
    tokenizer: goldenTokenizer('small'),
    cacheTokens: 16384,
  });
  served = await serve(small);
  tiny = await loadTiny();
  servedTiny = await serve(tiny);
});
afterAll(async () => {
  await served?.app.close();
  await small?.close();
  await servedTiny?.app.close();
  await tiny?.close();
});

type Format = OpenAI.Chat.Completions.ChatCompletionCreateParams['response_format'];

async function answer(client: OpenAI, format: Format, seed: number, stream: boolean) {
  const request = {
    model: modelName,
    messages: [{ role: 'user' as const, content: `Extract the fields (${seed}).` }],
    temperature: 1,
    seed,
    max_tokens: 4000,
    response_format: format,
  };
  if (!stream) {
    const completion = await client.chat.completions.create(request);
    const choice = completion.choices[0];
    return { text: choice?.message.content ?? '', finish: choice?.finish_reason };
  }
  let text = '';
  let finish: string | null | undefined;
  for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { text, finish };
}

describe('response_format', () => {
  it('json_schema, strict: every answer parses and validates, plain and streamed', async () => {
    const schema = constrainedSchemas.receipt as Record<string, unknown>;
    const valid = validator(schema);
    for (const seed of seeds) {
      const { text, finish } = await answer(
        served.client,
        { type: 'json_schema', json_schema: { name: 'receipt', strict: true, schema } },
        seed,
        seed % 2 === 1,
      );
      expect(finish).toBe('stop');
      expect(valid(JSON.parse(text)), text).toBe(true);
    }
  });

  it('json_schema on the real vocabulary (Tiny): answers validate', async () => {
    const schema = constrainedSchemas.kinds as Record<string, unknown>;
    const valid = validator(schema);
    for (const seed of [0, 1]) {
      const { text, finish } = await answer(
        servedTiny.client,
        { type: 'json_schema', json_schema: { name: 'kinds', strict: true, schema } },
        seed,
        seed === 1,
      );
      expect(finish).toBe('stop');
      expect(valid(JSON.parse(text)), text).toBe(true);
    }
  });

  it('json_object: every answer is a JSON object', async () => {
    for (const seed of seeds) {
      const { text, finish } = await answer(served.client, { type: 'json_object' }, seed, seed % 2 === 0);
      expect(finish).toBe('stop');
      const value = JSON.parse(text);
      expect(typeof value === 'object' && value !== null && !Array.isArray(value), text).toBe(true);
    }
  });

  it('extensions: regex answers match the whole pattern; grounding answers parse', async () => {
    const pattern = '[A-Z]{2}-\\d{4}';
    for (const seed of seeds.slice(0, 3)) {
      const regex = await answer(
        served.client,
        { type: 'regex', regex: pattern } as unknown as Format,
        seed,
        false,
      );
      expect(regex.text).toMatch(new RegExp(`^${pattern}$`));
      const grounding = await answer(served.client, { type: 'grounding' } as unknown as Format, seed, true);
      expect(grounding.finish).toBe('stop');
      expect(parseGrounding(grounding.text).length).toBe(grounding.text.split('<|ref|>').length - 1);
    }
  });

  it('an unsupported keyword is a 400 naming it, before any generation', async () => {
    const steps = small.stats().steps;
    const { status, body } = await post(`${served.url}/v1/chat/completions`, {
      model: modelName,
      messages: [{ role: 'user', content: 'x' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'bad',
          schema: { type: 'array', items: { type: 'integer' }, uniqueItems: true },
        },
      },
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_response_format');
    expect(body.error.param).toBe('response_format.json_schema.schema');
    expect(body.error.message).toContain('uniqueItems');
    expect(small.stats().steps).toBe(steps);
  });

  it('malformed formats are a 400: a bad schema value, a missing schema object, a bad grammar', async () => {
    const cases: [unknown, string][] = [
      [
        { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', required: 'a' } } },
        'required',
      ],
      [{ type: 'json_schema' }, 'json_schema'],
      [{ type: 'grammar', grammar: 'root ::= undefinedRule' }, 'line 1, column 10'],
      [{ type: 'xml' }, 'type'],
    ];
    for (const [format, named] of cases) {
      const { status, body } = await post(`${served.url}/v1/chat/completions`, {
        model: modelName,
        messages: [{ role: 'user', content: 'x' }],
        response_format: format,
      });
      expect(status, JSON.stringify(format)).toBe(400);
      expect(`${body.error.message} ${body.error.param}`).toContain(named);
    }
  });
});
