/**
 * DeepSeek-VL2's grounding output as grammar text: one or more
 * `<|ref|>LABEL<|/ref|><|det|>[[x1, y1, x2, y2], ...]<|/det|>` objects, coordinates 0..999 of the
 * image. Every accepted text parses with parseGrounding (lib/grounding-text.ts) to the same objects:
 * labels hold no `<` (so no tag can start inside one), no newline, and no whitespace at either end
 * (which the parser trims). Objects are separated by a comma or semicolon and whitespace at most: the
 * format is for answers read by a program, and a short separator lets a sampler end the answer (with
 * free text between objects, a random model's answers ran on to their token limit).
 */
import { complement, jsWhitespace, normalize, subtract } from './code-points.js';
import { characterClass, RuleSet } from './grammar-text.js';

/** Label length in characters, as the brief of the format allows. */
export const maxGroundingLabelLength = 64;
/**
 * Boxes per object and objects per answer: far above what an image holds, and bounded so that a
 * sampler cannot keep adding boxes without end.
 */
export const maxBoxesPerObject = 32;
export const maxGroundedObjects = 16;

export function groundingGrammar(): string {
  const rules = new RuleSet();
  const lt = normalize([[0x3c, 0x3c]]);
  const labelInner = subtract(
    complement(lt),
    normalize([
      [0x0a, 0x0a],
      [0x0d, 0x0d],
      [0x2028, 0x2029],
    ]),
  );
  const labelEdge = subtract(labelInner, jsWhitespace);
  const inner = characterClass(labelInner);
  const edge = characterClass(labelEdge);
  const label = rules.add('label', `${edge} (${inner}{0,${maxGroundingLabelLength - 2}} ${edge})?`);
  const coordinate = rules.add('coordinate', '[0-9] | [1-9] [0-9] | [1-9] [0-9] [0-9]');
  const box = rules.add(
    'box',
    `"[" ${coordinate} ", " ${coordinate} ", " ${coordinate} ", " ${coordinate} "]"`,
  );
  const object = rules.add(
    'object',
    `"<|ref|>" ${label} "<|/ref|><|det|>[" ${box} (", " ${box}){0,${maxBoxesPerObject - 1}} "]<|/det|>"`,
  );
  const separator = rules.add('separator', '[,;]? [ \\n]{0,2}');
  return rules.render(`${object} (${separator} ${object}){0,${maxGroundedObjects - 1}}`);
}
