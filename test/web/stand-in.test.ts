/**
 * The web demo in a real browser, on what the golden model cannot be made to do, played by a stand-in
 * model behind the real server: a grounded answer (its boxes drawn at the right pixels of the image,
 * its text shown without tags, also on the latest of several dropped images), a context overflow, a
 * full queue; and the server's own limits: an API key the page asks for, a body over the size limit.
 * Every refusal is shown in the page, which goes on working, also while the model is still loading
 * (503). Saves screenshots before and after the grounded answer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ByteTokenizer,
  type ChatChunk,
  type ChatMessage,
  type GenerateOptions,
  type GenerateResult,
  type Model,
  parseGrounding,
  Vl2Error,
} from '../../lib/index.js';
import { type Served, serve } from '../server/serve.js';
import { type Browser, launchChromium, pageErrors, root, screenshots } from './browser.js';

/** The red rectangle of assets/demo.png (480 x 320) spans x 60..220, y 180..270. */
const demoSize: [number, number] = [480, 320];
const answer =
  'It is here: <|ref|>the red rectangle<|/ref|><|det|>[[125, 562, 458, 843]]<|/det|>, left of the blue one.';
const apiKey = 'sk-demo';
const maxBodyBytes = 256 * 1024;

let release: () => void = () => {};
const received: { messages: ChatMessage[]; options: GenerateOptions }[] = [];

function lastText(messages: ChatMessage[]): string {
  const content = messages.at(-1)?.content ?? '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** Answers `answer` a few characters per chunk; 'overflow' overflows, 'hold' waits for release(). */
const standIn = {
  device: 'cpu',
  processor: { tokenizer: new ByteTokenizer(1024) },
  chat(messages: ChatMessage[], options: GenerateOptions) {
    received.push({ messages, options });
    const prompt = lastText(messages);
    const chunks: ChatChunk[] = (answer.match(/[\s\S]{1,4}/g) ?? []).map((text) => ({
      text,
      tokenIds: [3],
      logprobs: [-0.5],
    }));
    const result: GenerateResult = {
      text: answer,
      tokenIds: chunks.map(() => 3),
      finishReason: 'stop',
      usage: { promptTokens: 640, imageTokens: 421, completionTokens: chunks.length },
      timings: { timeToFirstTokenMs: 1, tokensPerSecond: 1, totalMs: 1 },
      boxes: parseGrounding(answer, demoSize),
    };
    return {
      async *[Symbol.asyncIterator]() {
        if (prompt.includes('overflow'))
          throw new Vl2Error('VL2_CONTEXT_OVERFLOW', 'the prompt is 5000 tokens; the context holds 4096');
        if (prompt.includes('hold')) await new Promise<void>((resolve) => (release = resolve));
        for (const chunk of chunks) {
          await new Promise((r) => setTimeout(r, 5));
          yield chunk;
        }
      },
      result: Promise.resolve(result),
    };
  },
} as unknown as Model;

let served: Served;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  browser = await launchChromium();
  served = await serve(standIn, { ui: true, apiKey, maxBodyBytes, maxQueue: 1 });
  page = await browser.context.newPage();
  errors = pageErrors(page);
  await page.goto(`${served.url}/`);
  await page.waitForSelector('body[data-ready="true"]');
});
afterAll(async () => {
  await browser?.close();
  await served?.app.close();
});

const errorText = () => page.locator('#error').textContent();
const waitForError = (pattern: RegExp) =>
  expect
    .poll(async () => ((await page.isVisible('#error')) ? await errorText() : ''), { timeout: 10_000 })
    .toMatch(pattern);

describe('an API key', () => {
  it('is asked for; without it the request is refused and the prompt handed back', async () => {
    expect(await page.isVisible('#api-key')).toBe(true);
    await page.click('#example');
    await page.locator('#attachments img').waitFor();
    expect(await page.locator('#attachments img').count()).toBe(1);
    expect(await page.inputValue('#prompt')).toBe('<|ref|>the red rectangle<|/ref|>');
    await page.click('#send');
    await waitForError(/needs an API key/);
    expect(await page.locator('.turn').count()).toBe(0);
    expect(await page.inputValue('#prompt')).toBe('<|ref|>the red rectangle<|/ref|>');
    expect(await page.locator('#attachments img').count()).toBe(1);
  });
});

describe('a grounded answer', () => {
  it('is shown without tags, its box drawn over the image at the right pixels', async () => {
    await page.fill('#api-key', apiKey);
    await page.fill('#temperature', '0.5');
    await page.fill('#top-k', '40');
    await page.fill('#repetition-penalty', '1.1');
    await page.fill('#seed', '7');
    await page.screenshot({ path: join(screenshots, 'grounding-before.png') });
    await page.click('#send');
    await page.waitForSelector('.answer[data-state="done"]');
    expect(await page.isVisible('#error')).toBe(false);

    const { options, messages } = received.at(-1) as (typeof received)[number];
    expect(options).toMatchObject({
      temperature: 0.5,
      topP: 1,
      topK: 40,
      minP: 0,
      repetitionPenalty: 1.1,
      seed: 7,
    });
    expect(options.maxTokens).toBe(512);
    expect(messages).toHaveLength(1);
    expect(await page.evaluate('sessionStorage.getItem("vl2-api-key")')).toBe(apiKey);

    const text = await page.locator('.answer-text').textContent();
    expect(text).toBe('It is here: the red rectangle, left of the blue one.');
    expect(await page.locator('.stats').textContent()).toMatch(
      /640 prompt tokens \(421 for images\) · \d+ answer tokens/,
    );

    const box = page.locator('.grounding .box');
    expect(await box.count()).toBe(1);
    expect(await box.getAttribute('data-pixels')).toBe('60,180,220,270');
    expect(await box.getAttribute('data-label')).toBe('the red rectangle');
    expect(await box.textContent()).toBe('the red rectangle');
    // On the page: the box sits where those pixels are on the image as displayed.
    const image = await page.locator('.grounding img').boundingBox();
    const drawn = await box.boundingBox();
    if (!image || !drawn) throw new Error('the image or its box is not laid out');
    const scale = image.width / demoSize[0];
    expect(image.height / demoSize[1]).toBeCloseTo(scale, 2);
    expect(drawn.x - image.x).toBeCloseTo(60 * scale, 0);
    expect(drawn.y - image.y).toBeCloseTo(180 * scale, 0);
    expect(drawn.width).toBeCloseTo(160 * scale, 0);
    expect(drawn.height).toBeCloseTo(90 * scale, 0);

    // In a screenshot: the box's border is drawn in the first palette colour (#e6194b) there.
    const shot = join(screenshots, 'grounding-after.png');
    await page.screenshot({ path: shot });
    const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => {
      const at = (Math.round(y) * info.width + Math.round(x)) * 3;
      return [data[at], data[at + 1], data[at + 2]];
    };
    const middleY = drawn.y + drawn.height / 2;
    expect(pixel(drawn.x + 1, middleY)).toEqual([0xe6, 0x19, 0x4b]);
    expect(pixel(drawn.x + drawn.width - 2, middleY)).toEqual([0xe6, 0x19, 0x4b]);
    // Inside the box, the image shows through: the red of the rectangle (#c0392b), not the border.
    const inside = pixel(drawn.x + drawn.width / 2, middleY);
    expect(Math.abs((inside[0] ?? 0) - 0xc0)).toBeLessThan(12);
  });
});

describe('refusals are shown and the page goes on working', () => {
  it('a body over the size limit (413)', async () => {
    const noise = await sharp(
      Buffer.from(Array.from({ length: 400 * 400 * 3 }, (_, i) => (i * 7919) % 251)),
      {
        raw: { width: 400, height: 400, channels: 3 },
      },
    )
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noise.length).toBeGreaterThan(maxBodyBytes);
    await page.setInputFiles('#files', { name: 'big.png', mimeType: 'image/png', buffer: noise });
    await page.fill('#prompt', 'What is this?');
    await page.click('#send');
    await waitForError(/larger than the server accepts/);
    expect(await page.locator('.turn').count()).toBe(1);
    expect(await page.locator('#attachments img').count()).toBe(1);
    await page.click('#attachments button'); // drop the big image
    expect(await page.locator('#attachments img').count()).toBe(0);
  });

  it('a prompt that overflows the context (400)', async () => {
    await page.fill('#prompt', 'overflow');
    await page.click('#send');
    await waitForError(/no longer fits in the model’s context/);
    expect(await page.locator('.turn').count()).toBe(1);
  });

  it('a full queue (429)', async () => {
    const held = fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ model: 'tiny-golden', messages: [{ role: 'user', content: 'hold' }] }),
    });
    await expect
      .poll(async () => (await (await fetch(`${served.url}/metrics`)).text()).match(/^vl2_queue_depth 1$/m), {
        timeout: 10_000,
      })
      .toBeTruthy();
    await page.fill('#prompt', 'Anything?');
    await page.click('#send');
    await waitForError(/server is busy/);
    expect(await page.locator('.turn').count()).toBe(1);
    expect(await page.inputValue('#prompt')).toBe('Anything?');
    // A regenerated answer that is refused keeps its turn and says why.
    await page.fill('#prompt', '');
    await page.click('#regenerate');
    await page.waitForSelector('.answer[data-state="error"]');
    expect(await page.locator('.turn').count()).toBe(1);
    expect(await page.locator('.answer-error').textContent()).toMatch(/server is busy/);
    await waitForError(/server is busy/);
    release();
    expect((await held).status).toBe(200);
  });

  it('then answers again: Regenerate, and a second turn with the history of the first', async () => {
    await page.click('#regenerate');
    await page.waitForSelector('.answer[data-state="done"]');
    expect(await page.locator('.turn .box').count()).toBe(1);
    await page.fill('#prompt', 'And the blue one?');
    await page.click('#send');
    await page.locator('.answer[data-state="done"]').nth(1).waitFor();
    expect(await page.isVisible('#error')).toBe(false);
    const { messages } = received.at(-1) as (typeof received)[number];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[1]?.content).toBe(answer); // the raw answer, tags included, as the model wrote it
    // Boxes of the second answer go on the latest image sent: the demo image of the first turn.
    expect(await page.locator('.turn').last().locator('.box').getAttribute('data-pixels')).toBe(
      '60,180,220,270',
    );
  });

  it('takes several dropped images; boxes go on the latest, at its own size', async () => {
    const demo = join(root, 'assets', 'demo.png');
    const twiceAsLarge = await sharp(demo).resize(960, 640).png().toBuffer();
    const dropped = [readFileSync(demo), twiceAsLarge].map((png) => png.toString('base64'));
    await page.evaluate(`(() => {
      const transfer = new DataTransfer();
      ${JSON.stringify(dropped)}.forEach((base64, i) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], 'dropped-' + i + '.png', { type: 'image/png' }));
      });
      const drop = new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true });
      document.getElementById('composer').dispatchEvent(drop);
    })()`);
    await page.locator('#attachments img').nth(1).waitFor();
    await page.fill('#prompt', 'Which is larger?');
    await page.click('#send');
    await page.locator('.answer[data-state="done"]').nth(2).waitFor();
    expect(await page.locator('.turn').last().locator('.prompt-images img').count()).toBe(2);
    const { messages } = received.at(-1) as (typeof received)[number];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    const parts = messages[4]?.content as { type: string }[];
    expect(parts.map((p) => p.type)).toEqual(['image', 'image', 'text']);
    // The same 0..999 box on the 960 x 640 image: twice the pixels.
    expect(await page.locator('.turn').last().locator('.box').getAttribute('data-pixels')).toBe(
      '120,360,440,540',
    );
  });
});

describe('a server still loading its model', () => {
  it('refuses with 503, which the page explains', async () => {
    const loading = await serve(new Promise<Model>(() => {}), { ui: true });
    try {
      await page.goto(`${loading.url}/`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.isVisible('#api-key')).toBe(false);
      await page.fill('#prompt', 'Hello?');
      await page.click('#send');
      await waitForError(/cannot answer now \(still loading the model/);
      expect(await page.locator('.turn').count()).toBe(0);
      expect(await page.inputValue('#prompt')).toBe('Hello?');
    } finally {
      await loading.app.close();
    }
  });
});

it('ran without a blocked load or an uncaught exception (refused requests aside)', () => {
  expect(
    errors.filter(
      (e) => !/Failed to load resource: the server responded with a status of (401|413|400|429|503)/.test(e),
    ),
  ).toEqual([]);
});
