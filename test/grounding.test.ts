/** Grounding output parsing (SPEC.md section 8's format) and drawing. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { drawGrounding, parseGrounding } from '../lib/grounding.js';
import { goldenPath } from './support/golden.js';

describe('parseGrounding', () => {
  it('parses labelled boxes and maps them to pixels as the reference does', () => {
    const text =
      '<|ref|>The giraffe at the back<|/ref|><|det|>[[580, 79, 999, 536]]<|/det|> and ' +
      '<|ref|>cars<|/ref|><|det|>[[0, 0, 100, 200], [500, 500, 600, 650]]<|/det|>';
    const objects = parseGrounding(text, [724, 1086]);
    expect(objects.map((o) => o.label)).toEqual(['The giraffe at the back', 'cars']);
    expect(objects[0]?.boxes[0]?.normalized).toEqual([580, 79, 999, 536]);
    expect(objects[0]?.boxes[0]?.pixels).toEqual([
      Math.trunc((580 / 999) * 724),
      Math.trunc((79 / 999) * 1086),
      724,
      Math.trunc((536 / 999) * 1086),
    ]);
    expect(objects[1]?.boxes).toHaveLength(2);
  });

  it('tolerates malformed and partial output', () => {
    expect(parseGrounding('no boxes here')).toEqual([]);
    // An unclosed det block at the end of a stream still yields its complete boxes.
    expect(parseGrounding('<|ref|>dog<|/ref|><|det|>[[1, 2, 3, 4]], [[5, 6')).toEqual([
      { label: 'dog', boxes: [{ normalized: [1, 2, 3, 4] }] },
    ]);
    // A box with three numbers is skipped; out-of-range values are clamped; det without ref.
    expect(parseGrounding('<|det|>[[1, 2, 3]], [[-5, 10, 1200, 20]]<|/det|>')).toEqual([
      { label: '', boxes: [{ normalized: [0, 10, 999, 20] }] },
    ]);
    expect(parseGrounding('<|ref|>x<|/ref|><|det|>garbage<|/det|>')).toEqual([]);
  });
});

describe('drawGrounding', () => {
  it('draws boxes onto a PNG of the original size', async () => {
    const image = goldenPath('images', 'visual_grounding_1.jpeg');
    const png = await drawGrounding(
      image,
      parseGrounding('<|ref|>giraffe<|/ref|><|det|>[[580, 79, 999, 536]]<|/det|>', [724, 1086]),
    );
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 724, 1086]);
    // A pixel on the box's left edge changed colour.
    const before = await sharp(image).removeAlpha().raw().toBuffer();
    const after = await sharp(png).removeAlpha().raw().toBuffer();
    const x = Math.trunc((580 / 999) * 724);
    const y = Math.trunc((300 / 999) * 1086);
    const at = (y * 724 + x) * 3;
    expect(Array.from(after.subarray(at, at + 3))).not.toEqual(Array.from(before.subarray(at, at + 3)));
  });

  it('draws a box whose corners came in reverse order', async () => {
    const image = goldenPath('images', 'visual_grounding_1.jpeg');
    const forward = await drawGrounding(
      image,
      parseGrounding('<|det|>[[100, 100, 500, 500]]<|/det|>', [724, 1086]),
    );
    const reversed = await drawGrounding(
      image,
      parseGrounding('<|det|>[[500, 500, 100, 100]]<|/det|>', [724, 1086]),
    );
    expect(await sharp(reversed).raw().toBuffer()).toEqual(await sharp(forward).raw().toBuffer());
  });
});
