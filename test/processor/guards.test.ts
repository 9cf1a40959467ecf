/** Bad images and oversized prompts are refused with typed errors before any model work. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ContextOverflowError, ImageError, InvalidArgumentError } from '../../lib/errors.js';
import { loadImage } from '../../lib/processor/image.js';
import { HfTokenizer, Processor } from '../../lib/processor/index.js';
import { goldenPath } from '../support/golden.js';

/** A PNG whose header claims width x height RGB pixels, with an empty image stream. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body) >>> 0, body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(0))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const dir = await mkdtemp(join(tmpdir(), 'vl2-guards-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const processor = await Processor.fromModelDir(
  goldenPath('models', 'tiny'),
  await HfTokenizer.load(goldenPath('tokenizer', 'tokenizer.json')),
);

describe('image guard rails', () => {
  it('refuses a missing file, an empty file and undecodable bytes', async () => {
    await expect(loadImage(join(dir, 'nope.png'))).rejects.toBeInstanceOf(ImageError);
    await writeFile(join(dir, 'empty.png'), '');
    await expect(loadImage(join(dir, 'empty.png'))).rejects.toThrow(/empty/);
    await writeFile(join(dir, 'junk.png'), 'this is not an image');
    await expect(loadImage(join(dir, 'junk.png'))).rejects.toThrow(ImageError);
  });

  it('refuses zero-size images', async () => {
    await expect(loadImage(pngHeaderOnly(0, 10))).rejects.toBeInstanceOf(ImageError);
  });

  it('refuses a decompression bomb from its header', async () => {
    // 900 megapixels claimed by a few dozen bytes: refused by the default limit, nothing decoded.
    await expect(loadImage(pngHeaderOnly(30_000, 30_000))).rejects.toThrow(/pixel limit/);
  });

  it('refuses images over the pixel limit (decompression bombs)', async () => {
    const big = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    await expect(loadImage(big, { maxPixels: 1_000_000 })).rejects.toThrow(/pixel limit|more than the limit/);
  });

  it('refuses remote URLs unless allowed', async () => {
    await expect(loadImage('https://example.com/a.png')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('reads data: URLs and drops alpha without compositing', async () => {
    const rgba = await sharp({
      create: { width: 2, height: 1, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const image = await loadImage(`data:image/png;base64,${rgba.toString('base64')}`);
    expect(Array.from(image.data)).toEqual([10, 20, 30, 10, 20, 30]);
    const grey = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#404040' } })
      .greyscale()
      .png()
      .toBuffer();
    expect(Array.from((await loadImage(grey)).data)).toEqual([64, 64, 64]);
  });
});

describe('decoding as the reference does', () => {
  it('leaves EXIF orientation unapplied, as PIL without exif_transpose', async () => {
    const rotated = await sharp({ create: { width: 30, height: 10, channels: 3, background: '#123456' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(rotated).metadata()).orientation).toBe(6);
    const image = await loadImage(rotated);
    expect([image.width, image.height]).toEqual([30, 10]);
  });

  it('expands palette images to RGB', async () => {
    const source = sharp({
      create: { width: 3, height: 2, channels: 3, background: { r: 200, g: 100, b: 50 } },
    });
    const palette = await source.clone().png({ palette: true, colours: 4 }).toBuffer();
    expect((await sharp(palette).metadata()).isPalette).toBe(true);
    const image = await loadImage(palette);
    expect(Array.from(image.data)).toEqual(Array.from(await source.clone().raw().toBuffer()));
  });

  it('applies the pixel limit to sharp instances before decoding', async () => {
    const big = sharp(
      await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#000' } })
        .png()
        .toBuffer(),
    );
    await expect(loadImage(big, { maxPixels: 1_000_000 })).rejects.toBeInstanceOf(ImageError);
    expect((await loadImage(big)).width).toBe(2000);
  });
});

describe('prompt guard rails', () => {
  it('refuses prompts whose image tokens exceed the context', async () => {
    const image = await readFile(goldenPath('images', 'monday.jpg'));
    const messages = [{ role: 'user' as const, content: '<image> <image> what?', images: [image, image] }];
    await expect(processor.process(messages, { maxContextTokens: 1000 })).rejects.toBeInstanceOf(
      ContextOverflowError,
    );
    await expect(processor.process(messages, { maxContextTokens: 4096 })).resolves.toBeTruthy();
  });

  it('refuses malformed messages', async () => {
    await expect(processor.process([])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(processor.process([{ role: 'user', content: '<image> hi' }])).rejects.toThrow(
      /1 <image> placeholders but 0 images/,
    );
    await expect(processor.process([{ role: 'assistant', content: 'hi' }])).rejects.toThrow(
      /end with a user message/,
    );
  });
});
