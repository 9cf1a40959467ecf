/**
 * The web demo in a real browser (Debian's headless Chromium) against createServer({ ui: true }) of
 * the golden tiny model on 127.0.0.1: an image uploaded and previewed, an answer that grows as it
 * streams and ends as model.generate's answer to the same messages (its image tokens counted),
 * Regenerate, Stop (the server aborts the generation and frees its cache), Remove last turn and Clear.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groundingDisplayText } from '../../lib/grounding-text.js';
import type { ChatMessage, Model } from '../../lib/index.js';
import { loadTiny, type Served, serve } from '../server/serve.js';
import { validator } from '../support/ajv.js';
import { type Browser, launchChromium, pageErrors, root, screenshots } from './browser.js';

let model: Model;
let served: Served;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  browser = await launchChromium(); // first: a missing browser fails before the model loads
  model = await loadTiny();
  served = await serve(model, { ui: true });
  page = await browser.context.newPage();
  errors = pageErrors(page);
  mkdirSync(screenshots, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await served?.app.close();
  await model?.close();
});

const answers = () => page.locator('.answer');
const lastAnswer = () => answers().last();
const metric = async (name: string) => {
  const text = await (await fetch(`${served.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

/** Records the answer text's length at every change, in the page, so no growth is missed. */
async function recordGrowth(): Promise<() => Promise<number[]>> {
  await page.evaluate(`(() => {
    const lengths = (window.__lengths = []);
    const turns = document.getElementById('turns');
    new MutationObserver(() => {
      const text = [...turns.querySelectorAll('.answer-text')].at(-1)?.textContent ?? '';
      if (lengths.at(-1) !== text.length) lengths.push(text.length);
    }).observe(turns, { subtree: true, childList: true, characterData: true });
  })()`);
  return () => page.evaluate('window.__lengths') as Promise<number[]>;
}

const demoImage = join(root, 'assets', 'demo.png');
const demoPrompt = 'Describe this image.';

/** What the page sends for one turn, as model messages: its images first, then the prompt. */
function demoMessages(image?: Buffer): ChatMessage[] {
  const text = { type: 'text', text: demoPrompt } as const;
  return [{ role: 'user', content: image ? [{ type: 'image', image }, text] : [text] }];
}

async function setMaxTokens(n: number) {
  await page.fill('#max-tokens', String(n));
}

describe('the chat page on the golden tiny model', () => {
  it('serves the page with a policy that forbids loads from elsewhere', async () => {
    const response = await page.goto(`${served.url}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.textContent('#model-name')).toBe('tiny-golden');
  });

  it('previews an uploaded image and streams the answer in', async () => {
    await page.setInputFiles('#files', demoImage);
    await page.locator('#attachments img').waitFor();
    expect(await page.locator('#attachments img').count()).toBe(1);
    await page.fill('#prompt', demoPrompt);
    await setMaxTokens(48);
    const growth = await recordGrowth();
    await page.screenshot({ path: join(screenshots, 'chat-before.png') });
    await page.click('#send');
    await page.waitForSelector('.answer[data-state="done"]');
    expect(await page.locator('#attachments img').count()).toBe(0);
    expect(await page.locator('.prompt-images img').count()).toBe(1);
    // The text arrived in pieces, each longer than the last.
    const lengths = (await growth()).filter((n) => n > 0);
    expect(lengths.length).toBeGreaterThanOrEqual(3);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    const stats = await lastAnswer().locator('.stats').textContent();
    expect(stats).toMatch(
      /\d+ prompt tokens \(\d+ for images\) · 48 answer tokens · first token after [\d.]+ s · [\d.]+ tokens\/s/,
    );
    expect(stats).toMatch(/stopped at the token limit/);
    // The image reached the model: the page's counts and answer are model.generate's for the same
    // messages, image included (and that answer is not the one the prompt alone would get).
    const expected = await model.generate(demoMessages(await readFile(demoImage)), { maxTokens: 48 });
    const textOnly = await model.generate(demoMessages(), { maxTokens: 48 });
    expect(expected.usage.imageTokens).toBeGreaterThan(0);
    expect(expected.text).not.toBe(textOnly.text);
    const [, promptTokens, imageTokens] = stats?.match(/(\d+) prompt tokens \((\d+) for images\)/) ?? [];
    expect(Number(promptTokens)).toBe(expected.usage.promptTokens);
    expect(Number(imageTokens)).toBe(expected.usage.imageTokens);
    expect(await lastAnswer().locator('.answer-text').textContent()).toBe(
      groundingDisplayText(expected.text),
    );
    await page.screenshot({ path: join(screenshots, 'chat-after.png') });
  });

  it('regenerates the last answer (greedy: the same text again)', async () => {
    const first = await lastAnswer().locator('.answer-text').textContent();
    const before = (await metric('vl2_completion_tokens_total')) ?? 0;
    await page.click('#regenerate'); // the answer is reset and streaming when the click returns
    await page.waitForSelector('.answer[data-state="done"]');
    expect(await answers().count()).toBe(1);
    expect(await lastAnswer().locator('.answer-text').textContent()).toBe(first);
    expect(await metric('vl2_completion_tokens_total')).toBe(before + 48);
  });

  it('stops an answer mid-stream: the server aborts it and frees its cache', async () => {
    const capacity = model.info().cacheCapacityTokens;
    const finishedBefore = await metric('vl2_chat_completions_total{finish_reason="length"}');
    await setMaxTokens(4000);
    await page.fill('#prompt', 'Tell me more.');
    // Stop is clicked from inside the page the moment text appears, so that the test does not race a
    // model that would otherwise reach its token limit first on a fast machine.
    await page.evaluate(`(() => {
      const turns = document.getElementById('turns');
      const observer = new MutationObserver(() => {
        const text = [...turns.querySelectorAll('.answer-text')].at(-1)?.textContent ?? '';
        if (text.length === 0) return;
        observer.disconnect();
        document.getElementById('stop').click();
      });
      observer.observe(turns, { subtree: true, childList: true, characterData: true });
    })()`);
    await page.click('#send');
    await page.waitForSelector('.answer[data-state="stopped"]');
    expect(await lastAnswer().locator('.answer-text').textContent()).not.toBe('');
    expect(await lastAnswer().locator('.stats').textContent()).toMatch(/stopped/);
    await expect.poll(() => metric('vl2_queue_depth'), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => metric('vl2_kv_cache_usage_ratio'), { timeout: 10_000 }).toBe(0);
    // The server ended the generation by aborting it, not by reaching the token limit.
    await expect
      .poll(() => metric('vl2_chat_completions_total{finish_reason="abort"}'), { timeout: 10_000 })
      .toBe(1);
    expect(await metric('vl2_chat_completions_total{finish_reason="length"}')).toBe(finishedBefore);
    expect(model.info().cacheFreeTokens).toBe(capacity);
    expect(await page.isEnabled('#send')).toBe(true);
  });

  it('removes the last turn, then clears the chat', async () => {
    expect(await page.locator('.turn').count()).toBe(2);
    await page.click('#remove-last');
    expect(await page.locator('.turn').count()).toBe(1);
    await page.click('#clear');
    expect(await page.locator('.turn').count()).toBe(0);
    expect(await page.isDisabled('#regenerate')).toBe(true);
  });

  it('answers with JSON that validates when the settings hold a JSON schema', async () => {
    const schema = {
      type: 'object',
      properties: { day: { enum: ['Monday', 'Friday'] }, sure: { type: 'boolean' } },
      required: ['day', 'sure'],
      additionalProperties: false,
    };
    await page.fill('#json-schema', JSON.stringify(schema));
    await page.fill('#temperature', '1');
    await page.fill('#prompt', 'Which day is it? Answer in JSON.');
    await setMaxTokens(200);
    const before = await answers().count();
    await page.click('#send');
    await answers().nth(before).waitFor();
    await expect.poll(() => lastAnswer().getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    const text = (await lastAnswer().locator('.answer-text').textContent()) ?? '';
    expect(validator(schema)(JSON.parse(text)), text).toBe(true);
    await page.fill('#json-schema', '');
    await page.fill('#temperature', '0');
  }, 120_000);

  it('logged no error on the way (no blocked load, no uncaught exception)', () => {
    expect(errors).toEqual([]);
  });
});
