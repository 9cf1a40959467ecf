/**
 * The TypeScript tiling, kept as the oracle that the native tiling (native/image, used by tiling.ts)
 * is tested against byte for byte: PIL's ImageOps.pad over resample.ts's bicubic, then the tile cut.
 * Slow (one JS thread); nothing on the serving path calls it.
 */
import { type RgbImage, resizeBicubic } from './resample.js';
import { type Rgb, type TiledImage, tileSize } from './tiling.js';

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** PIL's ImageOps.pad(image, (width, height), BICUBIC, fill, centering 0.5). */
async function padResize(image: RgbImage, width: number, height: number, fill: Rgb): Promise<RgbImage> {
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

/**
 * Tiles one image into out (from byte offset `offset`), which must hold tileCount * 384 * 384 * 3 bytes
 * more: the global view, then the canvas's tiles row by row.
 */
export async function writeTilesReference(
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
