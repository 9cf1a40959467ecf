/**
 * Where a request's image_url may point: data: URLs always; local files only under --image-root
 * (no escaping it); http(s) only with --allow-remote-images, and then never to loopback, private or
 * metadata addresses, also after a redirect. Refusals are 400s naming the content part.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError, type LoadOptions, loadModel, type Model } from '../../lib/index.js';
import { allowTestHost, imagePath, useImageHost } from '../net/image-host.js';
import { goldenPath } from '../support/golden.js';
import { loadTiny, modelName, post, type Served, serve } from './serve.js';

const host = useImageHost();
let model: Model;
let plain: Served;
let rooted: Served;
let remote: Served;
let remoteDefaultPolicy: Served;
let expectedText: string;

const ask = (url: string): ChatCompletionMessageParam[] => [
  {
    role: 'user',
    content: [
      { type: 'image_url', image_url: { url } },
      { type: 'text', text: 'What is in the picture?' },
    ],
  },
];
const request = (url: string) => ({ model: modelName, messages: ask(url), max_tokens: 6 });
const answer = async (served: Served, url: string) =>
  (await served.client.chat.completions.create(request(url))).choices[0]?.message.content;

beforeAll(async () => {
  model = await loadTiny();
  plain = await serve(model);
  rooted = await serve(model, { imageRoot: goldenPath('images') });
  remote = await serve(model, { allowRemoteImages: true, remoteFetch: allowTestHost });
  remoteDefaultPolicy = await serve(model, { allowRemoteImages: true });
  const dataUrl = `data:image/png;base64,${(await readFile(imagePath)).toString('base64')}`;
  expectedText = (await answer(plain, dataUrl)) ?? '';
});
afterAll(async () => {
  for (const served of [plain, rooted, remote, remoteDefaultPolicy]) await served?.app.close();
  await model.close();
});

async function refused(served: Served, url: string, message: RegExp) {
  const response = await post(`${served.url}/v1/chat/completions`, request(url));
  expect(response.status).toBe(400);
  expect(response.body.error).toMatchObject({
    type: 'invalid_request_error',
    param: 'messages[0].content[0]',
    code: 'invalid_image_url',
  });
  expect(response.body.error.message).toMatch(message);
}

describe('local image paths', () => {
  it('are refused without --image-root', async () => {
    await refused(plain, imagePath, /--image-root/);
  });

  it('are served under the image root, relative or as file: URLs', async () => {
    expect(await answer(rooted, 'synthetic-20x20.png')).toBe(expectedText);
    expect(await answer(rooted, `file://${imagePath}`)).toBe(expectedText);
  });

  it('cannot leave the image root', async () => {
    await refused(rooted, '../tokenizer/tokenizer.json', /outside the image root/);
    await refused(rooted, goldenPath('tokenizer', 'tokenizer.json'), /outside the image root/);
    await refused(rooted, 'file:///etc/passwd', /outside the image root/);
    await refused(rooted, join('..', '..', 'nothing-here.png'), /no image at/);
    await refused(rooted, 'file://another-host/etc/passwd', /no image at/);
  });
});

describe('remote image URLs', () => {
  it('are refused unless the server allows them', async () => {
    await refused(plain, `http://images.example:${host.port()}/image.png`, /--allow-remote-images/);
  });

  it('are fetched from allowed hosts, giving the answer the same image as a data: URL gets', async () => {
    expect(await answer(remote, `http://images.example:${host.port()}/image.png`)).toBe(expectedText);
  });

  it('never reach loopback, private or metadata addresses, also through a redirect', async () => {
    await refused(remoteDefaultPolicy, `http://127.0.0.1:${host.port()}/image.png`, /loopback/);
    await refused(remoteDefaultPolicy, 'http://169.254.169.254/latest/meta-data/', /link-local/);
    await refused(remoteDefaultPolicy, 'http://10.20.30.40/image.png', /private/);
    await refused(remote, 'http://metadata.example/latest/meta-data/', /link-local/);
    const redirect = (to: string) =>
      `http://images.example:${host.port()}/redirect?to=${encodeURIComponent(to)}`;
    await refused(remote, redirect('http://intranet.example/image.png'), /private/);
    await refused(remote, redirect('http://169.254.169.254/latest/meta-data/'), /link-local/);
  });

  it('are refused for other schemes', async () => {
    await refused(plain, 'ftp://example.com/image.png', /unsupported image URL scheme/);
  });
});

describe("loadModel's allowRemoteImages", () => {
  it('fetches through the same guarded fetcher: loopback refused by default, the policy given applies', async () => {
    const load = (allowRemoteImages: LoadOptions['allowRemoteImages']) =>
      loadModel(goldenPath('models', 'tiny'), {
        device: 'cpu',
        tokenizer: goldenPath('tokenizer', 'tokenizer.json'),
        cacheTokens: 2048,
        allowRemoteImages,
      });
    const ask = (url: string): Parameters<Model['generate']>[0] => [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url } },
          { type: 'text', text: 'What is in the picture?' },
        ],
      },
    ];
    const guarded = await load(true);
    try {
      await expect(
        guarded.generate(ask(`http://127.0.0.1:${host.port()}/image.png`), { maxTokens: 6 }),
      ).rejects.toThrow(ImageError);
    } finally {
      await guarded.close();
    }
    const withPolicy = await load(allowTestHost);
    try {
      const result = await withPolicy.generate(ask(`http://images.example:${host.port()}/image.png`), {
        maxTokens: 6,
      });
      expect(result.text).toBe(expectedText);
    } finally {
      await withPolicy.close();
    }
  });
});
