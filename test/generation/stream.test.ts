/** Incremental detokenisation and generation options, without a model. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../lib/errors.js';
import { resolveOptions } from '../../lib/options.js';
import { ByteTokenizer } from '../../lib/processor/index.js';
import { IncrementalDecoder } from '../../lib/stream.js';

const tokenizer = new ByteTokenizer(1024);
const idsOf = (text: string) => tokenizer.encode(text);

function streamOf(text: string, stop: string[] = []) {
  const decoder = new IncrementalDecoder(tokenizer, stop, true);
  const chunks = idsOf(text).map((id) => decoder.push(id));
  chunks.push(decoder.flush());
  return { chunks, text: decoder.text, stopped: decoder.stopped };
}

describe('IncrementalDecoder', () => {
  it('never emits part of a multi-byte character and never revises text', () => {
    const { chunks, text } = streamOf('naïve 🚀 ok');
    expect(chunks.join('')).toBe('naïve 🚀 ok');
    expect(text).toBe('naïve 🚀 ok');
    for (const chunk of chunks) expect(chunk).not.toContain('\uFFFD');
    // The rocket's four bytes arrive as four tokens; only the last one releases it.
    expect(chunks.filter((c) => c.includes('🚀'))).toEqual(['🚀']);
  });

  it('cuts at a stop string that arrives across chunks, emitting nothing of it', () => {
    const { chunks, text, stopped } = streamOf('answer: 42\nUser: more', ['\nUser:']);
    expect(text).toBe('answer: 42');
    expect(chunks.join('')).toBe('answer: 42');
    expect(stopped).toBe(true);
  });

  it('releases held-back text when the stream ends without the stop string', () => {
    const { text } = streamOf('ends with \nUs', ['\nUser:']);
    expect(text).toBe('ends with \nUs');
  });

  it('decodes a bounded window per token, not the whole answer again', () => {
    let idsDecoded = 0;
    const counting = Object.create(tokenizer) as ByteTokenizer;
    counting.decode = (ids, options) => {
      idsDecoded += ids.length;
      return tokenizer.decode(ids, options);
    };
    const text = 'é🚀 plain words and accents, '.repeat(100);
    const decoder = new IncrementalDecoder(counting, [], true);
    const ids = idsOf(text);
    const chunks = ids.map((id) => decoder.push(id));
    chunks.push(decoder.flush());
    expect(chunks.join('')).toBe(text);
    // Each push decodes the last settled token(s) and the new ones: a few ids, whatever the length.
    expect(idsDecoded).toBeLessThan(ids.length * 8);
  });

  it('ends an answer cut inside a character with a replacement character', () => {
    const rocket = idsOf('🚀');
    const decoder = new IncrementalDecoder(tokenizer, [], true);
    const shown = [...idsOf('ok '), ...rocket.slice(0, 2)].map((id) => decoder.push(id)).join('');
    expect(shown).toBe('ok ');
    expect(decoder.flush()).toBe(tokenizer.decode(rocket.slice(0, 2)));
    expect(decoder.text.startsWith('ok ')).toBe(true);
  });

  it('hides special tokens unless asked to show them', () => {
    const ids = [...idsOf('a'), tokenizer.imageId, ...idsOf('b')];
    const run = (show: boolean) => {
      const decoder = new IncrementalDecoder(tokenizer, [], show);
      return ids.map((id) => decoder.push(id)).join('') + decoder.flush();
    };
    expect(run(false)).toBe('ab');
    expect(run(true)).toBe(tokenizer.decode(ids));
    expect(run(true)).not.toBe('ab');
  });
});

describe('generation options', () => {
  it('defaults to greedy decoding with at most 512 tokens', () => {
    expect(resolveOptions({})).toMatchObject({
      maxTokens: 512,
      sampling: { temperature: 0, repetitionPenalty: 1 },
    });
  });

  it.each([
    [{ maxTokens: 0 }, /maxTokens/],
    [{ temperature: -1 }, /temperature/],
    [{ topP: 0 }, /topP/],
    [{ minP: 1 }, /minP/],
    [{ topK: 1.5 }, /topK/],
    [{ repetitionPenalty: 0 }, /repetitionPenalty/],
    [{ seed: -3 }, /seed/],
    [{ stop: [''] }, /stop/],
    [{ temprature: 0.5 }, /unknown option 'temprature'/],
  ])('refuses %o', (options, pattern) => {
    expect(() => resolveOptions(options as never)).toThrow(InvalidArgumentError);
    expect(() => resolveOptions(options as never)).toThrow(pattern);
  });
});
