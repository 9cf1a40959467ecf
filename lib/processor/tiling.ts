/**
 * Dynamic tiling as the official processor does it (SPEC.md section 3): choose the best candidate
 * resolution, pad-resize the image onto a global 384x384 view and onto the chosen canvas, and cut the
 * canvas into 384x384 tiles row by row. Output: one contiguous uint8 HWC buffer, global view first.
 */
import { type RgbImage, resizeBicubic } from './resample.js';

export const tileSize = 384;

/** 8-bit RGB fill of the pad canvas (the processor's image_mean as 8-bit). */
export type Rgb = [number, number, number];

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

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

/** PIL's ImageOps.pad(image, (width, height), BICUBIC, fill, centering 0.5). */
export async function padResize(
  image: RgbImage,
  width: number,
  height: number,
  fill: Rgb,
): Promise<RgbImage> {
  const imageRatio = image.width / image.height;
  const targetRatio = width / height;
  if (imageRatio === targetRatio) return await resizeBicubic(image, width, height);
  let resized: RgbImage;
  let left = 0;
  let top = 0;
  if (imageRatio > targetRatio) {
    const newHeight = roundHalfEven((image.height / image.width) * width);
    resized = await resizeBicubic(image, width, newHeight);
    top = roundHalfEven((height - newHeight) * 0.5);
  } else {
    const newWidth = roundHalfEven((image.width / image.height) * height);
    resized = await resizeBicubic(image, newWidth, height);
    left = roundHalfEven((width - newWidth) * 0.5);
  }
  const canvas = new Uint8Array(width * height * 3);
  canvas.set(fill);
  for (let filled = 3; filled < canvas.length; filled *= 2) canvas.copyWithin(filled, 0, filled);
  for (let y = 0; y < resized.height; y++) {
    const ty = y + top;
    if (ty < 0 || ty >= height) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(resized.width, width - left);
    if (x1 <= x0) continue;
    canvas.set(
      resized.data.subarray((y * resized.width + x0) * 3, (y * resized.width + x1) * 3),
      (ty * width + left + x0) * 3,
    );
  }
  return { width, height, data: canvas };
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
  image: RgbImage,
  candidates: [number, number][],
  localTiling: boolean,
): [number, number] {
  return localTiling ? selectBestResolution(image.width, image.height, candidates) : [tileSize, tileSize];
}

/**
 * Tiles one image into out (from byte offset `offset`), which must hold tileCount * 384 * 384 * 3 bytes
 * more: the global view, then the canvas's tiles row by row.
 */
export async function writeTiles(
  image: RgbImage,
  canvasSize: [number, number],
  fill: Rgb,
  out: Uint8Array,
  offset: number,
): Promise<TiledImage> {
  const [canvasWidth, canvasHeight] = canvasSize;
  const tileBytes = tileSize * tileSize * 3;
  out.set((await padResize(image, tileSize, tileSize, fill)).data, offset);
  const canvas = await padResize(image, canvasWidth, canvasHeight, fill);
  const across = canvasWidth / tileSize;
  const down = canvasHeight / tileSize;
  let at = offset + tileBytes;
  for (let ty = 0; ty < down; ty++) {
    for (let tx = 0; tx < across; tx++) {
      for (let y = 0; y < tileSize; y++) {
        const row = ((ty * tileSize + y) * canvasWidth + tx * tileSize) * 3;
        out.set(canvas.data.subarray(row, row + tileSize * 3), at + y * tileSize * 3);
      }
      at += tileBytes;
    }
  }
  return { spatialCrop: [across, down], tileCount: 1 + across * down };
}

/** `<image>` tokens for a tiling (SPEC.md section 4): 210 global + separator + local rows with newlines. */
export function imageTokenCount([across, down]: [number, number]): number {
  const side = 14;
  return side * (side + 1) + 1 + side * down * (side * across + 1);
}
