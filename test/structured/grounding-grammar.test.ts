import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGrounding } from '../../lib/grounding-text.js';
import { groundingGrammar, maxGroundingLabelLength } from '../../lib/structured/grounding-grammar.js';
import { forEachSample, ReferenceGrammar } from './oracle.js';

const grammar = ReferenceGrammar.parse(groundingGrammar());

const coordinate = fc.integer({ min: 0, max: 999 });
const box = fc.tuple(coordinate, coordinate, coordinate, coordinate);
const label = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
  .map((s) => s.replace(/[<\n\r\u2028\u2029]/g, 'x').trim())
  .filter((s) => s.length > 0 && [...s].length <= maxGroundingLabelLength);
const object = fc.record({ label, boxes: fc.array(box, { minLength: 1, maxLength: 3 }) });
const write = (o: { label: string; boxes: number[][] }) =>
  `<|ref|>${o.label}<|/ref|><|det|>[${o.boxes.map((b) => `[${b.join(', ')}]`).join(', ')}]<|/det|>`;

describe('groundingGrammar', () => {
  it('accepts what the model writes, and the parser reads it back', () => {
    fc.assert(
      fc.property(
        fc.array(object, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('', '\n', ', ', ';\n'),
        (objects, sep) => {
          const text = objects.map(write).join(sep);
          expect(grammar.accepts(text), text).toBe(true);
          expect(parseGrounding(text)).toEqual(
            objects.map((o) => ({ label: o.label, boxes: o.boxes.map((b) => ({ normalized: b })) })),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('accepts only texts that parse to as many objects, labels and boxes kept', () => {
    forEachSample(grammar, 40, (text) => {
      const objects = parseGrounding(text);
      expect(objects.length, text).toBe(text.split('<|ref|>').length - 1);
      expect(objects.map((o) => o.label)).toEqual(
        [...text.matchAll(/<\|ref\|>(.*?)<\|\/ref\|>/g)].map((m) => m[1]),
      );
      const boxes = [...text.matchAll(/\[(\d+), (\d+), (\d+), (\d+)\]/g)].map((m) => m.slice(1).map(Number));
      expect(objects.flatMap((o) => o.boxes.map((b) => b.normalized))).toEqual(boxes);
    });
  });

  it('refuses malformed answers', () => {
    const ok = '<|ref|>cat<|/ref|><|det|>[[1, 2, 3, 4]]<|/det|>';
    for (const text of [
      '',
      'cat',
      ok.replace('1, 2', '1000, 2'),
      ok.replace('1, 2', '01, 2'),
      ok.replace('cat', ''),
      ok.replace('cat', ' cat'),
      ok.replace('cat', 'c<|t'),
      ok.replace('cat', 'a\nb'),
      ok.replace('cat', 'x'.repeat(maxGroundingLabelLength + 1)),
      ok.replace('[[1, 2, 3, 4]]', '[]'),
      ok.replace('[[1, 2, 3, 4]]', '[[1, 2, 3]]'),
      `${ok}<${ok}`,
    ])
      expect(grammar.accepts(text), text).toBe(false);
    expect(grammar.accepts(ok.replace('cat', 'x'.repeat(maxGroundingLabelLength)))).toBe(true);
  });
});
