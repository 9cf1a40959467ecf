/**
 * Images in: a file path, a Buffer, a sharp instance or a data: URL (remote URLs only when the caller
 * allows them). Decoded with sharp to 8-bit RGB the way PIL's convert('RGB') does: alpha dropped (not
 * composited), palette and greyscale expanded, 16-bit channels cut to their high byte. EXIF orientation
 * is NOT applied, as in the reference (PIL without exif_transpose). One known difference: CMYK JPEGs go
 * through sharp's colour management where PIL converts naively.
 */
import { readFile } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { ImageError, InvalidArgumentError } from '../errors.js';
import { fetchRemote, type RemoteFetchOptions } from '../net/safe-fetch.js';
import type { RgbImage } from './resample.js';

/** Anything an image can be given as. */
export type ImageInput = string | Buffer | Uint8Array | Sharp;

export interface ImageLoadOptions {
  /** Allow http(s) URLs to be fetched (default false). */
  allowRemote?: boolean;
  /** Limits and address policy of remote fetches (defaults: 20 MiB, 10 s, 5 redirects, public addresses only). */
  remote?: RemoteFetchOptions;
  /** Decompression-bomb guard: refuse images with more pixels than this (default 40 megapixels). */
  maxPixels?: number;
}

export const defaultMaxPixels = 40_000_000;

async function bytesOf(input: string, options: ImageLoadOptions): Promise<Buffer> {
  if (input.startsWith('data:')) {
    const comma = input.indexOf(',');
    if (comma < 0) throw new ImageError('malformed data: URL (no comma)');
    const meta = input.slice(5, comma);
    const payload = input.slice(comma + 1);
    if (meta.endsWith(';base64')) return Buffer.from(payload, 'base64');
    try {
      return Buffer.from(decodeURIComponent(payload), 'latin1');
    } catch (error) {
      throw new ImageError('malformed data: URL (bad percent-encoding)', { cause: error });
    }
  }
  if (/^https?:\/\//i.test(input)) {
    if (!options.allowRemote) {
      throw new InvalidArgumentError(
        `remote image ${input} refused: pass { allowRemote: true } (allowRemoteImages when loading a model) to fetch URLs`,
      );
    }
    return fetchRemote(input, options.remote);
  }
  try {
    return await readFile(input);
  } catch (error) {
    throw new ImageError(`cannot read image file ${input}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The encoded bytes of an image given as a path, data: URL, URL or buffer; undefined for a sharp
 * instance. Throws ImageError for unreadable or empty input, InvalidArgumentError for other types.
 */
export async function encodedBytes(
  input: ImageInput,
  options: ImageLoadOptions,
): Promise<Uint8Array | undefined> {
  if (typeof input === 'string') {
    const bytes = await bytesOf(input, options);
    if (bytes.length === 0)
      throw new ImageError(`image ${input.startsWith('data:') ? '(data: URL)' : input} is empty`);
    return bytes;
  }
  if (input instanceof Uint8Array) {
    if (input.length === 0) throw new ImageError('image buffer is empty');
    return input;
  }
  if (input && typeof (input as Sharp).toBuffer === 'function') return undefined;
  throw new InvalidArgumentError(
    'an image must be a file path, a data: URL, a Buffer/Uint8Array or a sharp instance',
  );
}

/** Decodes an image to 8-bit RGB. Throws ImageError for unreadable, empty or oversized images. */
export async function loadImage(input: ImageInput, options: ImageLoadOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? defaultMaxPixels;
  const bytes = await encodedBytes(input, options);
  let pipeline: Sharp;
  if (bytes) {
    pipeline = sharp(bytes, { limitInputPixels: maxPixels });
  } else {
    pipeline = (input as Sharp).clone();
    // A caller's sharp instance carries its own pixel limit; check ours from the header before decoding.
    const { width = 0, height = 0 } = await pipeline.metadata().catch((error: Error) => {
      throw new ImageError(`cannot decode image: ${error.message}`, { cause: error });
    });
    if (width * height > maxPixels)
      throw new ImageError(`the image has ${width * height} pixels, more than the limit of ${maxPixels}`);
  }
  try {
    const { data, info } = await pipeline
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width <= 0 || info.height <= 0) throw new ImageError('the image has zero size');
    if (info.width * info.height > maxPixels) {
      throw new ImageError(
        `the image has ${info.width * info.height} pixels, more than the limit of ${maxPixels}`,
      );
    }
    if (info.channels === 3)
      return {
        width: info.width,
        height: info.height,
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      };
    // Greyscale that sharp kept single-channel: expand as PIL does.
    const rgb = new Uint8Array(info.width * info.height * 3);
    for (let i = 0; i < info.width * info.height; i++)
      rgb.fill(data[i * info.channels] as number, i * 3, i * 3 + 3);
    return { width: info.width, height: info.height, data: rgb };
  } catch (error) {
    if (error instanceof ImageError) throw error;
    const message = (error as Error).message;
    if (/pixel limit/i.test(message)) {
      throw new ImageError(`the image exceeds the ${maxPixels}-pixel limit (decompression bomb guard)`, {
        cause: error,
      });
    }
    throw new ImageError(`cannot decode image: ${message}`, { cause: error });
  }
}
