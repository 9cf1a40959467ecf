/**
 * The queue's failure paths over a real Redis, with an in-process worker and a stand-in model: a
 * failure of the request itself is a result line at once; any other failure retries the job with
 * backoff, and after the last attempt every request of the job gets an error line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBatch } from '../../lib/batch.js';
import { ImageError, Vl2Error } from '../../lib/errors.js';
import type { ChatMessage } from '../../lib/processor/index.js';
import { runQueueBatch } from '../../lib/queue/batch-queue.js';
import type { ResultLine } from '../../lib/queue/jobs.js';
import { parseQueueAddress } from '../../lib/queue/queue-address.js';
import { startQueueWorker } from '../../lib/queue/worker.js';
import type { GenerateResult } from '../../lib/results.js';
import { type RedisServer, startRedis } from '../support/redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

/** Answers with the prompt; 'flaky' fails its first call, 'broken' every call, 'bad-image' is a bad request. */
function standInModel() {
  const calls = new Map<string, number>();
  const generator = {
    async generate(messages: ChatMessage[]): Promise<GenerateResult> {
      const text = String(messages[0]?.content);
      const call = (calls.get(text) ?? 0) + 1;
      calls.set(text, call);
      if (text === 'bad-image') throw new ImageError('cannot decode bad.png');
      if (text === 'broken' || (text === 'flaky' && call === 1))
        throw new Vl2Error('VL2_CUDA', 'device lost');
      return {
        text,
        tokenIds: [],
        finishReason: 'stop',
        usage: { promptTokens: 1, imageTokens: 0, completionTokens: 0 },
        timings: { timeToFirstTokenMs: 0, tokensPerSecond: 0, totalMs: 0 },
        boxes: [],
      };
    },
  };
  return { calls, model: { generateBatch: generateBatch.bind(null, generator) } };
}

describe('queue retries', () => {
  it('retries failed jobs with backoff and reports those still failing after the last attempt', async () => {
    const address = parseQueueAddress(redis.url('retries'));
    const { calls, model } = standInModel();
    const worker = await startQueueWorker(model, address, { jobs: 4 });
    const texts = ['a', 'flaky', 'broken', 'bad-image', 'b'];
    const lines: ResultLine[] = [];
    try {
      const summary = await runQueueBatch(
        address,
        texts.map((text) => ({ id: text, messages: [{ role: 'user', content: text }] })),
        {
          chunkSize: 1,
          attempts: 3,
          backoffMs: 20,
          onLines: async (chunk) => {
            lines.push(...chunk);
          },
        },
      );
      expect(summary).toEqual({ done: 5, failed: 2 });
    } finally {
      await worker.close();
    }
    const byId = new Map(lines.map((line) => [line.id, line]));
    expect([...byId.keys()].sort()).toEqual([...texts].sort());
    expect(byId.get('a')?.text).toBe('a');
    expect(byId.get('flaky')?.text).toBe('flaky');
    expect(byId.get('bad-image')?.error).toEqual({ code: 'VL2_IMAGE', message: 'cannot decode bad.png' });
    expect(byId.get('broken')?.error).toEqual({
      code: 'VL2_CUDA',
      message: 'failed after 3 attempts: request broken: device lost',
    });
    expect(Object.fromEntries(calls)).toEqual({ a: 1, b: 1, flaky: 2, broken: 3, 'bad-image': 1 });
  });

  it('fails a whole chunk together: each of its requests gets the error line', async () => {
    const address = parseQueueAddress(redis.url('chunks'));
    const { model } = standInModel();
    const worker = await startQueueWorker(model, address);
    const lines: ResultLine[] = [];
    try {
      await runQueueBatch(
        address,
        ['x', 'broken', 'y', 'z'].map((text) => ({ id: text, messages: [{ role: 'user', content: text }] })),
        { chunkSize: 3, attempts: 1, onLines: async (chunk) => void lines.push(...chunk) },
      );
    } finally {
      await worker.close();
    }
    const errors = lines.filter((line) => line.error).map((line) => line.id);
    expect(errors.sort()).toEqual(['broken', 'x', 'y']);
    expect(lines.find((line) => line.id === 'z')?.text).toBe('z');
  });
});

describe('queue address', () => {
  it('reads redis://HOST:PORT/NAME and refuses anything else with what it expects', () => {
    expect(parseQueueAddress('redis://user:p%40ss@10.0.0.5:6380/jobs')).toEqual({
      name: 'jobs',
      connection: { host: '10.0.0.5', port: 6380, username: 'user', password: 'p@ss' },
    });
    expect(parseQueueAddress('rediss://cache.internal/vl2').connection).toEqual({
      host: 'cache.internal',
      port: 6379,
      tls: {},
    });
    for (const bad of ['localhost:6379/x', 'http://host/x', 'redis://host:6379', 'redis://host/a:b'])
      expect(() => parseQueueAddress(bad)).toThrow(/expected redis:\/\/HOST:PORT\/NAME/);
  });
});
