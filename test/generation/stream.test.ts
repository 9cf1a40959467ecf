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
