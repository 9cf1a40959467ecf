/**
 * The queue over a real Redis, with in-process workers and a stand-in model: a failure of the
 * request itself is a result line at once; any other failure retries the job with backoff, and
 * after the last attempt every request of the job gets an error line; a batch run again joins its
 * jobs instead of adding them twice.
 */

import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBatch } from '../../lib/batch.js';
import { AbortError, ImageError, Vl2Error } from '../../lib/errors.js';
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

describe('a batch run again', () => {
  it('joins its jobs still queued or already finished: each request runs once, collected jobs go', async () => {
    const address = parseQueueAddress(redis.url('rejoin'));
    const queue = new Queue(address.name, { connection: address.connection });
    const until = async (check: () => Promise<boolean>) => {
      while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const requests = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'].map((text) => ({
      id: text,
      messages: [{ role: 'user' as const, content: text }],
    }));
    const { calls, model } = standInModel();
    let worker: Awaited<ReturnType<typeof startQueueWorker>> | undefined;
    try {
      // The first run queues its three jobs, then stops waiting (as an interrupted vl2 batch would).
      const controller = new AbortController();
      const firstLines: ResultLine[] = [];
      const first = runQueueBatch(address, requests, {
        chunkSize: 2,
        signal: controller.signal,
        onLines: async (lines) => void firstLines.push(...lines),
      });
      await until(async () => (await queue.getJobCounts('wait')).wait === 3);
      controller.abort();
      await expect(first).rejects.toBeInstanceOf(AbortError);
      // A worker finishes them with no batch waiting.
      worker = await startQueueWorker(model, address);
      await until(async () => (await queue.getJobCounts('completed')).completed === 3);
      const lines: ResultLine[] = [];
      await runQueueBatch(address, requests, {
        chunkSize: 2,
        onLines: async (chunk) => void lines.push(...chunk),
      });
      expect(firstLines).toEqual([]);
      expect(lines.map((line) => line.text).sort()).toEqual(requests.map((r) => r.id));
      expect([...calls.values()]).toEqual([1, 1, 1, 1, 1, 1]);
      expect(await queue.getJobCounts('wait', 'active', 'completed', 'failed')).toEqual({
        wait: 0,
        active: 0,
        completed: 0,
        failed: 0,
      });
    } finally {
      await worker?.close();
      await queue.close();
    }
  });
});

describe('a Redis with a password', () => {
  it('serves a batch given the password in the address, and refuses one without it', async () => {
    const secured = await startRedis({ password: 's3cret/pw' });
    try {
      const address = parseQueueAddress(secured.url('secured'));
      const { model } = standInModel();
      const worker = await startQueueWorker(model, address);
      const lines: ResultLine[] = [];
      try {
        await runQueueBatch(address, [{ id: 'p', messages: [{ role: 'user', content: 'p' }] }], {
          onLines: async (chunk) => void lines.push(...chunk),
        });
      } finally {
        await worker.close();
      }
      expect(lines.map((line) => line.text)).toEqual(['p']);
      const anonymous = parseQueueAddress(`redis://127.0.0.1:${secured.port}/secured`);
      await expect(startQueueWorker(model, anonymous)).rejects.toThrow(
        /cannot reach the queue's Redis.*NOAUTH/,
      );
    } finally {
      await secured.stop();
    }
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
