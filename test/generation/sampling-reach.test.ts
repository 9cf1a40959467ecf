/**
 * Each sampling option reaches the native sampler through Model (two greedy runs would pass a test
 * that only compares runs). On the golden Small model: sampling at temperature 1.5 differs from
 * greedy for most seeds; the seed alone changes the answer; topP, minP and topK narrow the same hot
 * sampling back to the greedy answer, which they can do only if the sampler applies them; a lower
 * temperature moves the answers towards greedy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ByteTokenizer,
  type ChatMessage,
  type GenerateOptions,
  loadModel,
  type Model,
} from '../../lib/index.js';
import { goldenPath } from '../support/golden.js';

const ask: ChatMessage[] = [{ role: 'user', content: 'Tell me a story about a lighthouse.' }];
const seeds = [1, 2, 3, 4, 5, 6];
let model: Model;
let greedy: number[];

const ids = async (options: GenerateOptions) =>
  (await model.generate(ask, { maxTokens: 12, ...options })).tokenIds;
const sameAsGreedy = async (options: GenerateOptions) => {
  let same = 0;
  for (const seed of seeds) if ((await ids({ ...options, seed })).join() === greedy.join()) same++;
  return same;
};

beforeAll(async () => {
  model = await loadModel(goldenPath('models', 'small'), {
    device: 'cpu',
    tokenizer: new ByteTokenizer(1024),
    cacheTokens: 2048,
  });
  greedy = await ids({});
});
afterAll(() => model.close());

describe('sampling options reach the sampler through Model', () => {
  it('temperature: hot sampling leaves the greedy answer', async () => {
    expect(await sameAsGreedy({ temperature: 1.5 })).toBeLessThanOrEqual(1);
  });

  it('seed: the same seed repeats, different seeds differ', async () => {
    const a = await ids({ temperature: 1.5, seed: 11 });
    expect(await ids({ temperature: 1.5, seed: 11 })).toEqual(a);
    const others = await Promise.all([12, 13, 14].map((seed) => ids({ temperature: 1.5, seed })));
    expect(others.some((o) => o.join() !== a.join())).toBe(true);
  });

  it('topP: a tiny nucleus keeps only the most likely token (greedy again)', async () => {
    expect(await sameAsGreedy({ temperature: 1.5, topP: 1e-6 })).toBe(seeds.length);
  });

  it('minP: a floor just under the top probability keeps only the top token (greedy again)', async () => {
    expect(await sameAsGreedy({ temperature: 1.5, minP: 0.999 })).toBe(seeds.length);
  });

  it('topK: one candidate is greedy', async () => {
    expect(await sameAsGreedy({ temperature: 1.5, topK: 1 })).toBe(seeds.length);
  });

  it('temperature: a cold temperature is closer to greedy than a hot one', async () => {
    const agreement = async (temperature: number) => {
      let equal = 0;
      for (const seed of seeds) {
        const sampled = await ids({ temperature, seed });
        equal += sampled.filter((id, i) => id === greedy[i]).length;
      }
      return equal;
    };
    expect(await agreement(0.05)).toBeGreaterThan(await agreement(1.5));
  });
});
