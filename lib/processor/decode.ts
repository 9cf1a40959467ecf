/**
 * Decoding for the processor, which needs the pixels only to tile them. Encoded bytes go to sharp's own
 * libvips through the addon (native/image/vips_decode): the same loader and options as sharp, but the
 * pixels land in native memory and JavaScript holds a small handle. A decoded photo as a sharp Buffer
 * costs page faults for its fresh memory, a full garbage collection for about every 64 MB of such
 * Buffers, and a free on the JS thread; the handle costs none of that. JPEG, PNG and WebP that load as
 * 8-bit RGB are taken (an embedded ICC profile applied as sharp does); images that need another of
 * sharp's conversions (greyscale, alpha, CMYK, 16 bits), other formats and sharp instances go through
 * loadImage, which gives the same pixels for the images both can take.
 */

import { type DecodedPixels, nativeAddon } from '../engine/addon.js';
import { ImageError } from '../errors.js';
import {
  defaultMaxPixels,
  encodedBytes,
  type ImageInput,
  type ImageLoadOptions,
  loadImage,
} from './image.js';

/** A decoded image for writeTiles: its pixels in native memory (consumed by tiling) or in JavaScript. */
export interface DecodedImage {
  width: number;
  height: number;
  data: DecodedPixels | Uint8Array;
}

/** Decodes an image for tiling. Throws ImageError for unreadable, empty or oversized images. */
export async function decodeForTiling(
  input: ImageInput,
  options: ImageLoadOptions = {},
): Promise<DecodedImage> {
  const bytes = await encodedBytes(input, options);
  if (!bytes) return loadImage(input, options);
  const maxPixels = options.maxPixels ?? defaultMaxPixels;
  let decoded: Awaited<ReturnType<ReturnType<typeof nativeAddon>['decodeImage']>>;
  try {
    decoded = await nativeAddon().decodeImage(bytes, maxPixels);
  } catch (error) {
    // Only the pixel limit rejects here: data libvips cannot decode resolves undefined (sharp's turn).
    throw new ImageError((error as Error).message, { cause: error });
  }
  if (!decoded) return loadImage(bytes, options);
  return { width: decoded.width, height: decoded.height, data: decoded.pixels };
}

/** What decodes image bytes for the processor: 'libvips' (into native memory) or 'sharp'. */
export function imageDecoder(): 'libvips' | 'sharp' {
  return nativeAddon().imageDecoder();
}
