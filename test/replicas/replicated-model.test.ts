/**
 * The replicated model: routing through real chats (stand-in replicas whose answers the test
 * releases), a failing replica that takes no other request with it, close() reaching every
 * replica, and two CPU replicas of the golden tiny model answering exactly as one model does.
 */
import { describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../lib/engine/native-types.js';
import { AbortError, Vl2Error } from '../../lib/errors.js';
import { loadModel } from '../../lib/index.js';
import type { ChatHooks } from '../../lib/model.js';
import type { GenerateOptions } from '../../lib/options.js';
import { PreparedPrompt } from '../../lib/prepared.js';
import { ByteTokenizer, type ChatMessage, Processor } from '../../lib/processor/index.js';
import { type Replica, ReplicatedModel } from '../../lib/replicas/replicated-model.js';
import type { ChatChunk, GenerateResult } from '../../lib/results.js';
import { goldenPath } from '../support/golden.js';

const processor = new Processor(new ByteTokenizer(1024), { candidateResolutions: [[384, 384]] });

/** A replica whose requests wait until the test releases them; `failing` ones reject every request. */
class StandInReplica implements Replica {
  readonly processor = processor;
  readonly device = 'cpu' as const;
  readonly started: string[] = [];
  closed = false;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly failing = false,
    private readonly promptTokens = 10,
  ) {}

  /** Keeps the message's text as the prompt's, so a prepared request is still known by it. */
  prepare(messages: ChatMessage[]): Promise<PreparedPrompt> {
    return this.processor
      .process(messages)
      .then((prompt) => new PreparedPrompt({ ...prompt, promptText: String(messages[0]?.content) }));
  }

  chat(messages: ChatMessage[] | PreparedPrompt, options: GenerateOptions, hooks: ChatHooks) {
    const text =
      messages instanceof PreparedPrompt ? messages.prompt.promptText : String(messages[0]?.content);
    let resolveResult!: (r: GenerateResult) => void;
    let rejectResult!: (e: unknown) => void;
    const result = new Promise<GenerateResult>((resolve, reject) => {
      resolveResult = resolve;
      rejectResult = reject;
    });
    result.catch(() => {});
    const self = this;
    async function* run(): AsyncGenerator<ChatChunk> {
      self.started.push(text);
      hooks.onPrompt?.(self.promptTokens);
      await new Promise<void>((resolve) => self.waiting.push(resolve));
      if (self.failing || self.closed) {
        const error = self.closed
          ? new AbortError('the model was closed')
          : new Vl2Error('VL2_CUDA', 'device lost');
        rejectResult(error);
        throw error;
      }
      const tokenIds = [1, 2];
      yield { text, tokenIds, logprobs: [0, 0], finishReason: 'length' };
      resolveResult({
        text,
        tokenIds,
        finishReason: 'length',
        usage: { promptTokens: self.promptTokens, imageTokens: 0, completionTokens: 2 },
        timings: { timeToFirstTokenMs: 0, tokensPerSecond: 0, totalMs: 0 },
        boxes: [],
      });
      void options;
    }
    return { [Symbol.asyncIterator]: run, result };
  }

  /** Lets every waiting request go on. */
  release(): void {
    for (const go of this.waiting.splice(0)) go();
  }

  info(): EngineInfo {
    return { backend: 'cpu', device: 'cpu', cacheCapacityTokens: 1000, weightBytes: 1 } as EngineInfo;
  }
  stats() {
    return { steps: 1, preemptions: 0, maxBatch: 1, promptChunks: 1 };
  }
  async close(): Promise<void> {
    this.closed = true;
    this.release();
  }
}

const ask = (text: string): ChatMessage[] => [{ role: 'user', content: text }];
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ReplicatedModel routing', () => {
  it('sends each request to the replica with the least outstanding work and reports each load', async () => {
    const replicas = [new StandInReplica(false, 10), new StandInReplica(false, 500)];
    const model = ReplicatedModel.fromReplicas(replicas);
    const first = [
      model.generate(ask('a'), { maxTokens: 100 }),
      model.generate(ask('b'), { maxTokens: 100 }),
    ];
    await tick();
    // replica 0 holds 10 + 100, replica 1 holds 500 + 100: the next two go to replica 0.
    const next = [model.generate(ask('c'), { maxTokens: 100 }), model.generate(ask('d'), { maxTokens: 100 })];
    await tick();
    expect(replicas[0]?.started).toEqual(['a', 'c', 'd']);
    expect(replicas[1]?.started).toEqual(['b']);
    const info = model.info();
    expect(info.replicas.map((r) => [r.replica, r.inFlight, r.outstandingTokens])).toEqual([
      [0, 3, 330],
      [1, 1, 600],
    ]);
    expect(info.cacheCapacityTokens).toBe(2000);
    for (const replica of replicas) replica.release();
    expect((await Promise.all([...first, ...next])).map((r) => r.text)).toEqual(['a', 'b', 'c', 'd']);
    expect(model.info().replicas.map((r) => r.outstandingTokens)).toEqual([0, 0]);
  });

  it('a replica failing its requests fails only those; the other goes on and takes the rest', async () => {
    const replicas = [new StandInReplica(true), new StandInReplica(false)];
    const model = ReplicatedModel.fromReplicas(replicas);
    const batch = model.generateBatch(
      ['a', 'b', 'c', 'd'].map((id) => ({ id, messages: ask(id), options: { maxTokens: 4 } })),
    );
    const results = (async () => {
      const all = [];
      for await (const r of batch) all.push(r);
      return all;
    })();
    await tick();
    for (const replica of replicas) replica.release();
    const byId = new Map((await results).map((r) => [r.id, r]));
    const failed = replicas[0]?.started ?? [];
    expect(failed.length).toBeGreaterThan(0);
    for (const id of failed)
      expect(byId.get(id)?.error).toEqual({ code: 'VL2_CUDA', message: 'device lost' });
    for (const id of replicas[1]?.started ?? []) expect(byId.get(id)?.result?.text).toBe(id);
    expect(byId.size).toBe(4);
    // Nothing is left counted against either replica; the failed device gets no more requests.
    expect(model.info().replicas.map((r) => [r.inFlight, r.outOfService])).toEqual([
      [0, 'device lost'],
      [0, undefined],
    ]);
    expect(model.replicasInService).toBe(1);
    const later = model.generate(ask('e'), { maxTokens: 4 });
    await tick();
    for (const replica of replicas) replica.release();
    expect((await later).text).toBe('e');
    expect(replicas[0]?.started).toEqual(failed);
  });

  it('close() closes every replica and ends what is open; later requests are refused', async () => {
    const replicas = [new StandInReplica(), new StandInReplica(), new StandInReplica()];
    const model = ReplicatedModel.fromReplicas(replicas);
    const open = model.generate(ask('x'), { maxTokens: 4 });
    await tick();
    await model.close();
    expect(replicas.map((r) => r.closed)).toEqual([true, true, true]);
    await expect(open).rejects.toBeInstanceOf(AbortError);
    await expect(model.generate(ask('y'))).rejects.toBeInstanceOf(AbortError);
  });

  it('refuses invalid options at once, like a single model', () => {
    const model = ReplicatedModel.fromReplicas([new StandInReplica()]);
    expect(() => model.chat(ask('x'), { maxTokens: 0 })).toThrow(/maxTokens/);
  });
});

describe('CPU replicas of the golden tiny model', () => {
  it('answer exactly as one model does (greedy), spread over both replicas', async () => {
    const tiny = goldenPath('models', 'tiny');
    const tokenizer = goldenPath('tokenizer', 'tokenizer.json');
    const requests = Array.from({ length: 6 }, (_, i) => ({
      id: String(i),
      messages: [
        {
          role: 'user' as const,
          content: i % 3 === 0 ? `<image>\nWhat is in picture ${i}?` : `Count to ${i}.`,
          images: i % 3 === 0 ? [goldenPath('images', 'multi_image_1.jpeg')] : [],
        },
      ],
      options: { maxTokens: 6 },
    }));
    const collect = async (model: {
      generateBatch: ReplicatedModel['generateBatch'];
      close(): Promise<void>;
    }) => {
      const texts = new Map<string, string | undefined>();
      for await (const r of model.generateBatch(requests))
        texts.set(r.id, r.result?.text ?? r.error?.message);
      return texts;
    };
    const single = await loadModel(tiny, { device: 'cpu', tokenizer, threads: 1 });
    const expected = await collect(single);
    await single.close();
    const replicated = await loadModel(tiny, { device: 'cpu', cpuReplicas: 2, tokenizer });
    try {
      expect(replicated).toBeInstanceOf(ReplicatedModel);
      expect(await collect(replicated)).toEqual(expected);
      const info = replicated.info();
      expect(info.replicas).toHaveLength(2);
      expect(info.device).toBe('2 x cpu');
      for (const replica of info.replicas) expect(replica.cacheCapacityTokens).toBeGreaterThan(0);
      // Six requests at once: three to each replica.
      expect(info.replicas.map((r) => r.routed)).toEqual([3, 3]);
      expect(info.replicas.every((r) => r.inFlight === 0 && r.outstandingTokens === 0)).toBe(true);
    } finally {
      await replicated.close();
    }
  });
});
