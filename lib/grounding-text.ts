/**
 * Grounding output as text: `<|ref|>label<|/ref|><|det|>[[x1, y1, x2, y2], ...]<|/det|>` in generated
 * text, with coordinates normalised to 0..999 of the original image (SPEC.md section 8). Parsing
 * tolerates what a model can emit: an unclosed det block at the end of a stream, boxes with a missing
 * coordinate (skipped), values out of range (clamped), a det block without a ref (empty label).
 * Plain TypeScript with no imports: the web demo's browser code (lib/web/) uses it too.
 */

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

/** Box colours, one per grounded object in turn (the CLI's drawings and the web demo agree). */
export const groundingPalette = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#bfef45',
];

/** A box's 0..999 coordinates in pixels of an image of [width, height]. */
export function toPixels(
  normalized: GroundingBox['normalized'],
  [width, height]: [number, number],
): [number, number, number, number] {
  return normalized.map((v, i) => Math.trunc((v / maxCoordinate) * (i % 2 === 0 ? width : height))) as [
    number,
    number,
    number,
    number,
  ];
}

/** Parses every grounded object in text; with the image size, also maps the boxes to pixels. */
export function parseGrounding(text: string, imageSize?: [number, number]): GroundedObject[] {
  const objects: GroundedObject[] = [];
  for (const match of text.matchAll(refDet)) {
    const boxes: GroundingBox[] = [];
    for (const b of (match[2] ?? '').matchAll(box)) {
      const normalized = [b[1], b[2], b[3], b[4]].map((v) =>
        Math.min(maxCoordinate, Math.max(0, Number(v))),
      ) as GroundingBox['normalized'];
      boxes.push(imageSize ? { normalized, pixels: toPixels(normalized, imageSize) } : { normalized });
    }
    if (boxes.length) objects.push({ label: (match[1] ?? '').trim(), boxes });
  }
  return objects;
}

/**
 * The text a person reads: det blocks (closed, or still open at the end of a stream) removed, ref
 * tags dropped around their label, a `<|ref|>` still waiting for its close shown as its label so far.
 */
export function groundingDisplayText(text: string): string {
  return text
    .replace(/<\|det\|>[\s\S]*?(?:<\|\/det\|>|$)/g, '')
    .replace(/<\|\/?ref\|>/g, '')
    .replace(/<\|grounding\|>/g, '');
}
