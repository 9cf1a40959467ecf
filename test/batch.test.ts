/**
 * generateBatch with a stand-in model whose preprocessing is the real processor: bad images (corrupt,
 * truncated, a header claiming too many pixels) fail their own request with VL2_IMAGE and every other
 * request completes; preprocessing runs ahead of generation; a lazy iterable is read only as far as
 * the window of requests in hand.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type BatchRequest, type Generator, generateBatch } from '../lib/batch.js';
import { PreparedPrompt } from '../lib/prepared.js';
import { ByteTokenizer, type ChatMessage, Processor } from '../lib/processor/index.js';
import type { GenerateResult } from '../lib/results.js';

const processor = new Processor(new ByteTokenizer(1024), {
  candidateResolutions: [
    [384, 384],
    [768, 384],
    [384, 768],
    [768, 768],
  ],
});

const answer: GenerateResult = {
  text: 'ok',
  tokenIds: [1],
  finishReason: 'stop',
  usage: { promptTokens: 1, imageTokens: 0, completionTokens: 1 },
  timings: { timeToFirstTokenMs: 0, tokensPerSecond: 0, totalMs: 0 },
  boxes: [],
};

/** A model that prepares with the real processor and answers at once, or when `release` says so. */
class StandIn implements Generator {
  prepared = 0;
  generating = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly holdGeneration = false) {}

  async prepare(messages: ChatMessage[]): Promise<PreparedPrompt> {
    const prompt = new PreparedPrompt(await processor.process(messages));
    this.prepared++;
    return prompt;
  }

  async generate(messages: ChatMessage[] | PreparedPrompt): Promise<GenerateResult> {
    if (!(messages instanceof PreparedPrompt)) throw new Error('expected a prepared prompt');
    this.generating++;
    if (this.holdGeneration) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return answer;
  }

  release(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

const jpeg = await sharp({
  create: {
    width: 640,
    height: 480,
    channels: 3,
    background: '#000',
    noise: { type: 'gaussian', mean: 128, sigma: 40 },
  },
})
  .jpeg()
  .toBuffer();

/** The JPEG with its frame header (SOF0) claiming 9000x9000: refused from the header, never decoded. */
function claimingHugeSize(image: Buffer): Buffer {
  const bomb = Buffer.from(image);
  const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]));
  bomb.writeUInt16BE(9000, sof + 5);
  bomb.writeUInt16BE(9000, sof + 7);
  return bomb;
}

const request = (id: string, image: Buffer): BatchRequest => ({
  id,
  messages: [{ role: 'user', content: '<image>\nWhat is this?', images: [image] }],
});

describe('generateBatch', () => {
  it('fails only the requests with bad images, each with its image error', async () => {
    const requests = [
      request('good-1', jpeg),
      request('corrupt', Buffer.from('definitely not an image, just some bytes')),
      request('good-2', jpeg),
      request('truncated', jpeg.subarray(0, jpeg.length / 3)),
      request('oversized', claimingHugeSize(jpeg)),
      request('good-3', jpeg),
    ];
    const results = new Map<string, { code?: string; text?: string }>();
    for await (const r of generateBatch(new StandIn(), requests, { concurrency: 2, lookahead: 2 }))
      results.set(r.id, { code: r.error?.code, text: r.result?.text });
    expect(Object.fromEntries(results)).toEqual({
      'good-1': { code: undefined, text: 'ok' },
      'good-2': { code: undefined, text: 'ok' },
      'good-3': { code: undefined, text: 'ok' },
      corrupt: { code: 'VL2_IMAGE', text: undefined },
      truncated: { code: 'VL2_IMAGE', text: undefined },
      oversized: { code: 'VL2_IMAGE', text: undefined },
    });
  });

  it('prepares the next requests while the current ones generate, reading a lazy input only that far', async () => {
    const model = new StandIn(true);
    let read = 0;
    async function* lazy(): AsyncGenerator<BatchRequest> {
      for (let i = 0; i < 1000; i++) {
        read++;
        yield request(`r${i}`, jpeg);
      }
    }
    const batch = generateBatch(model, lazy(), { concurrency: 2, lookahead: 3 });
    const first = batch.next();
    // Two generate; three more are prepared and wait for a slot; nothing past that window is read.
    await expect.poll(() => model.generating).toBe(2);
    await expect.poll(() => model.prepared).toBe(5);
    expect(read).toBe(5);
    model.release();
    expect((await first).value?.result?.text).toBe('ok');
    await batch.return(undefined);
  });
});
