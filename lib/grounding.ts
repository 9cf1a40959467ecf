/**
 * Grounding boxes drawn on their image (the parsing lives in grounding-text.ts, shared with the web
 * demo's browser code).
 */
import sharp from 'sharp';
import { type GroundedObject, groundingPalette, toPixels } from './grounding-text.js';
import { type ImageInput, loadImage } from './processor/image.js';

export { type GroundedObject, type GroundingBox, parseGrounding } from './grounding-text.js';

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Draws labelled boxes on the image and returns a PNG. */
export async function drawGrounding(image: ImageInput, objects: GroundedObject[]): Promise<Buffer> {
  const rgb = await loadImage(image);
  const { width, height } = rgb;
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const fontSize = Math.max(12, Math.round(Math.min(width, height) / 30));
  const shapes = objects.flatMap((object, i) =>
    object.boxes.map((b) => {
      const [ax, ay, bx, by] = b.pixels ?? toPixels(b.normalized, [width, height]);
      // A model can emit the corners in either order; the box is the same.
      const [x1, x2] = ax <= bx ? [ax, bx] : [bx, ax];
      const [y1, y2] = ay <= by ? [ay, by] : [by, ay];
      const colour = groundingPalette[i % groundingPalette.length];
      const label = escapeXml(object.label);
      return (
        `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>` +
        (label
          ? `<text x="${x1 + stroke}" y="${Math.max(fontSize, y1 - stroke)}" font-size="${fontSize}" font-family="sans-serif" fill="${colour}">${label}</text>`
          : '')
      );
    }),
  );
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`,
  );
  return sharp(Buffer.from(rgb.data), { raw: { width, height, channels: 3 } })
    .composite([{ input: svg, top: 0, left: 0 }])
    .png()
    .toBuffer();
}
