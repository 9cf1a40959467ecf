/**
 * Grounding output: `<|ref|>label<|/ref|><|det|>[[x1, y1, x2, y2], ...]<|/det|>` in generated text,
 * with coordinates normalised to 0..999 of the original image (SPEC.md section 8). Parsing tolerates
 * what a model can emit: an unclosed det block at the end of a stream, boxes with a missing
 * coordinate (skipped), values out of range (clamped), a det block without a ref (empty label).
 */
import sharp from 'sharp';
import { type ImageInput, loadImage } from './processor/image.js';

/** A box in both the model's 0..999 coordinates and pixels of the original image. */
export interface GroundingBox {
  normalized: [number, number, number, number];
  /** Pixel coordinates: int(v / 999 * width) for x, likewise y (what the reference draws). */
  pixels?: [number, number, number, number];
}

export interface GroundedObject {
  label: string;
  boxes: GroundingBox[];
}

const refDet = /(?:<\|ref\|>([\s\S]*?)<\|\/ref\|>\s*)?<\|det\|>([\s\S]*?)(?:<\|\/det\|>|$)/g;
const box =
  /\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]/g;
const maxCoordinate = 999;

/** Parses every grounded object in text; with the image size, also maps the boxes to pixels. */
export function parseGrounding(text: string, imageSize?: [number, number]): GroundedObject[] {
  const objects: GroundedObject[] = [];
  for (const match of text.matchAll(refDet)) {
    const boxes: GroundingBox[] = [];
    for (const b of (match[2] ?? '').matchAll(box)) {
      const normalized = [b[1], b[2], b[3], b[4]].map((v) =>
        Math.min(maxCoordinate, Math.max(0, Number(v))),
      ) as GroundingBox['normalized'];
      const entry: GroundingBox = { normalized };
      if (imageSize) {
        const [w, h] = imageSize;
        entry.pixels = normalized.map((v, i) =>
          Math.trunc((v / maxCoordinate) * (i % 2 === 0 ? w : h)),
        ) as GroundingBox['pixels'];
      }
      boxes.push(entry);
    }
    if (boxes.length) objects.push({ label: (match[1] ?? '').trim(), boxes });
  }
  return objects;
}

const palette = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45'];

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
      const [ax, ay, bx, by] =
        b.pixels ??
        (b.normalized.map((v, k) =>
          Math.trunc((v / maxCoordinate) * (k % 2 === 0 ? width : height)),
        ) as GroundingBox['normalized']);
      // A model can emit the corners in either order; the box is the same.
      const [x1, x2] = ax <= bx ? [ax, bx] : [bx, ax];
      const [y1, y2] = ay <= by ? [ay, by] : [by, ay];
      const colour = palette[i % palette.length];
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
