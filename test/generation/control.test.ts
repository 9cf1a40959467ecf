/**
 * Sampling, cancellation, closing and responsiveness on the golden Small model (MLA, CPU): seeded
 * sampling repeats, aborts end within a step and free the cache, close() ends streams with an
 * AbortError, the event loop stays responsive while generating, and a cache far too small for the
 * load still completes every request.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  ByteTokenizer,
  type ChatChunk,
  type ChatMessage,
  loadModel,
  type Model,
} from '../../lib/index.js';
import { goldenPath } from '../support/golden.js';
import { settledRss, underAddressSanitizer } from '../support/memory.js';

const modelDir = goldenPath('models', 'small');
const tokenizer = new ByteTokenizer(1024);
const ask = (text: string): ChatMessage[] => [{ role: 'user', content: text }];
let model: Model;

beforeAll(async () => {
  model = await loadModel(modelDir, { device: 'cpu', tokenizer, cacheTokens: 4096 });
});
afterAll(() => model.close());

describe('sampling', () => {
  it('repeats with the same seed and greedy equals top-k 1', async () => {
    const options = { maxTokens: 24, temperature: 0.9, topP: 0.95, minP: 0.02, topK: 50, seed: 1234 };
    const a = await model.generate(ask('Tell me a story.'), options);
    const b = await model.generate(ask('Tell me a story.'), options);
    expect(a.tokenIds).toEqual(b.tokenIds);
    const greedy = await model.generate(ask('Tell me a story.'), { maxTokens: 16 });
    const topOne = await model.generate(ask('Tell me a story.'), {
      maxTokens: 16,
      temperature: 1,
      topK: 1,
      seed: 9,
    });
    expect(topOne.tokenIds).toEqual(greedy.tokenIds);
  });

  it('a repetition penalty changes a greedy answer that repeats', async () => {
    const plain = await model.generate(ask('aaaa aaaa aaaa'), { maxTokens: 24 });
    const penalised = await model.generate(ask('aaaa aaaa aaaa'), { maxTokens: 24, repetitionPenalty: 5 });
    expect(penalised.tokenIds).not.toEqual(plain.tokenIds);
  });

  it('stops at maxTokens with finishReason length', async () => {
    // Greedy on this prompt runs past 40 tokens without an end token, so 5 is where it must stop.
    const long = await model.generate(ask('Count.'), { maxTokens: 40 });
    expect(long.finishReason).toBe('length');
    const result = await model.generate(ask('Count.'), { maxTokens: 5 });
    expect(result.tokenIds).toEqual(long.tokenIds.slice(0, 5));
    expect(result.finishReason).toBe('length');
    expect(result.usage.completionTokens).toBe(5);
  });

  it('ends at a stop token id and at a stop string, leaving both out', async () => {
    const long = await model.generate(ask('Count.'), { maxTokens: 40 });
    const stopId = long.tokenIds[10] as number;
    const byId = await model.generate(ask('Count.'), { maxTokens: 40, stopTokenIds: [stopId] });
    expect(byId.finishReason).toBe('stop');
    expect(byId.tokenIds).toEqual(long.tokenIds.slice(0, long.tokenIds.indexOf(stopId)));

    const stop = long.text.slice(long.text.length >> 1, (long.text.length >> 1) + 2);
    expect(stop.length).toBe(2);
    const chunks: ChatChunk[] = [];
    for await (const chunk of model.chat(ask('Count.'), { maxTokens: 40, stop: [stop] })) chunks.push(chunk);
    // The stream ends with exactly one chunk that carries the reason, and it is the last one.
    expect(chunks.at(-1)?.finishReason).toBe('stop');
    expect(chunks.filter((c) => c.finishReason).length).toBe(1);
    expect(chunks.map((c) => c.text).join('')).toBe(long.text.slice(0, long.text.indexOf(stop)));
  });
});

describe('cancellation', () => {
  it('an AbortSignal ends a stream mid-way with finishReason abort and frees its cache blocks', async () => {
    const info = () =>
      (
        model as unknown as { engine: { info(): { cacheFreeTokens: number; cacheCapacityTokens: number } } }
      ).engine.info();
    const free = () => info().cacheFreeTokens;
    const settle = async (tokens: number) => {
      for (let i = 0; i < 200 && free() !== tokens; i++) await new Promise((r) => setTimeout(r, 10));
    };
    // Requests of earlier tests that ended by a stop string are freed on the scheduler's next turn.
    await settle(info().cacheCapacityTokens);
    const before = free();
    expect(before).toBe(info().cacheCapacityTokens);
    const controller = new AbortController();
    const chunks = [];
    for await (const chunk of model.chat(ask('Write a long essay.'), {
      maxTokens: 400,
      signal: controller.signal,
    })) {
      chunks.push(chunk);
      if (chunks.length === 3) controller.abort();
    }
    expect(chunks.at(-1)?.finishReason).toBe('abort');
    expect(chunks.length).toBe(4); // three tokens, then the abort ends the stream at once
    // The scheduler frees the blocks before its next step; give it that step.
    await settle(before);
    expect(free()).toBe(before);
  });

  it.skipIf(underAddressSanitizer)('1000 aborted streams leave resident memory flat', async () => {
    const run = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const controller = new AbortController();
        const stream = model.chat(ask(`request ${i}`), { maxTokens: 50, signal: controller.signal });
        for await (const _ of stream) controller.abort();
      }
    };
    await run(100); // warm up allocators
    // A real collection (collectGarbage exposes gc at run time; `global.gc` is undefined without
    // --expose-gc, so this test used to compare uncollected heaps).
    const before = settledRss();
    await run(1000);
    const grown = settledRss() - before;
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('responsiveness', () => {
  it('keeps event-loop delay under 10 ms while generating at full speed', async () => {
    // One compute thread: on CI's two cores a pool of two would take the core the JS thread runs on,
    // and the OS (not our code) would then delay the event loop.
    const oneThread = await loadModel(modelDir, { device: 'cpu', tokenizer, cacheTokens: 4096, threads: 1 });
    // Other test files run beside this one on the same two cores, so the OS may hold the JS thread
    // back for a scheduling slice in any one run; the best of three runs still fails if our code
    // blocks the loop, which would show in every run.
    const maxDelaysMs: number[] = [];
    try {
      for (let run = 0; run < 3 && !maxDelaysMs.some((ms) => ms < 10); run++) {
        const histogram = monitorEventLoopDelay({ resolution: 1 });
        histogram.enable();
        const results = await Promise.all(
          [1, 2, 3].map((i) => oneThread.generate(ask(`Describe item ${i} at length.`), { maxTokens: 400 })),
        );
        histogram.disable();
        // Three chats decoding together for hundreds of steps while the loop was measured.
        expect(results.reduce((n, r) => n + r.tokenIds.length, 0)).toBeGreaterThan(600);
        maxDelaysMs.push(histogram.max / 1e6);
      }
    } finally {
      await oneThread.close();
    }
    expect(Math.min(...maxDelaysMs)).toBeLessThan(10);
  });
});

describe('a cache far too small for the load', () => {
  it('still completes every request, with the same output as alone', async () => {
    const small = await loadModel(modelDir, { device: 'cpu', tokenizer, cacheTokens: 256 });
    try {
      const prompts = [1, 2, 3, 4, 5, 6].map((i) => ask(`Question number ${i}: what is the answer?`));
      // Greedy, and seeded sampling: a preempted request keeps its sampler's state.
      for (const options of [{ maxTokens: 150 }, { maxTokens: 150, temperature: 0.8, topP: 0.95, seed: 7 }]) {
        const alone = [];
        for (const p of prompts) alone.push((await model.generate(p, options)).tokenIds);
        const preemptionsBefore = small.stats().preemptions;
        // Each needs 3 of the 4 blocks: running several at once forces preemption and recomputation.
        const together = await Promise.all(prompts.map((p) => small.generate(p, options)));
        expect(together.map((r) => r.tokenIds)).toEqual(alone);
        expect(small.stats().preemptions).toBeGreaterThan(preemptionsBefore);
      }
    } finally {
      await small.close();
    }
  });
});

describe('close', () => {
  it('ends open streams with an AbortError', async () => {
    const closing = await loadModel(modelDir, { device: 'cpu', tokenizer, cacheTokens: 1024 });
    const stream = closing.chat(ask('Write forever.'), { maxTokens: 1000 });
    const consume = (async () => {
      for await (const _ of stream) await closing.close();
    })();
    await expect(consume).rejects.toBeInstanceOf(AbortError);
  });
});
