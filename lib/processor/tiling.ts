/**
 * Dynamic tiling as the official processor does it (SPEC.md section 3): choose the best candidate
 * resolution, pad-resize the image onto a global 384x384 view and onto the chosen canvas, and cut the
 * canvas into 384x384 tiles row by row. Output: one contiguous uint8 HWC buffer, global view first.
 * The choice is made here; the pixels are computed natively (native/image: PIL's fixed-point bicubic,
 * byte for byte as reference-tiling.ts, on a thread pool, never on the JS thread).
 */

import { nativeAddon } from '../engine/addon.js';
import { fromNativeError } from '../errors.js';
import type { DecodedImage } from './decode.js';
import type { RgbImage } from './resample.js';

export const tileSize = 384;

/** 8-bit RGB fill of the pad canvas (the processor's image_mean as 8-bit). */
export type Rgb = [number, number, number];

/** The candidate (width, height) with the largest effective resolution, then the least waste. */
export function selectBestResolution(
  width: number,
  height: number,
  candidates: [number, number][],
): [number, number] {
  let best = candidates[0] as [number, number];
  let bestEffective = -1;
  let bestWaste = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const [w, h] = candidate;
    const scale = Math.min(w / width, h / height);
    const effective = Math.min(Math.trunc(width * scale) * Math.trunc(height * scale), width * height);
    const waste = w * h - effective;
    if (effective > bestEffective || (effective === bestEffective && waste < bestWaste)) {
      best = candidate;
      bestEffective = effective;
      bestWaste = waste;
    }
  }
  return best;
}

export interface TiledImage {
  /** [tiles across, tiles down] of the local canvas. */
  spatialCrop: [number, number];
  /** 1 + across * down tiles of [384][384][3]. */
  tileCount: number;
}

/**
 * The local canvas [width, height] of an image; localTiling false gives a 1x1 canvas (what the
 * reference does with more than two images in a conversation).
 */
export function tilingOf(
  image: Pick<RgbImage, 'width' | 'height'>,
  candidates: [number, number][],
  localTiling: boolean,
): [number, number] {
  return localTiling ? selectBestResolution(image.width, image.height, candidates) : [tileSize, tileSize];
}

/** Tiles (global view included) of a canvas [width, height]. */
export function tileCountOf([canvasWidth, canvasHeight]: [number, number]): number {
  return 1 + (canvasWidth / tileSize) * (canvasHeight / tileSize);
}

/**
 * Tiles one image into out (from byte offset `offset`), which must hold tileCount * 384 * 384 * 3 bytes
 * more: the global view, then the canvas's tiles row by row. Runs on the native image pool; the image's
 * pixels must stay unchanged until the promise settles. `consume`: the caller drops the image after
 * this, so its memory is handed back to the OS from the worker (the pixels read as zeros after). An image
 * decoded into native memory (decodeForTiling) is always consumed: it is freed on the worker.
 */
export async function writeTiles(
  image: RgbImage | DecodedImage,
  canvasSize: [number, number],
  fill: Rgb,
  out: Uint8Array,
  offset: number,
  consume = false,
): Promise<TiledImage> {
  const [canvasWidth, canvasHeight] = canvasSize;
  try {
    await nativeAddon().tileImage(
      image.data,
      image.width,
      image.height,
      canvasWidth,
      canvasHeight,
      fill,
      out,
      offset,
      consume,
    );
  } catch (error) {
    throw fromNativeError(error);
  }
  const across = canvasWidth / tileSize;
  const down = canvasHeight / tileSize;
  return { spatialCrop: [across, down], tileCount: 1 + across * down };
}

/** `<image>` tokens for a tiling (SPEC.md section 4): 210 global + separator + local rows with newlines. */
export function imageTokenCount([across, down]: [number, number]): number {
  const side = 14;
  return side * (side + 1) + 1 + side * down * (side * across + 1);
}
