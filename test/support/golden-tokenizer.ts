/** The tokenizer a golden model loads with, for checks that go through loadModel. */
import { ByteTokenizer, type TextTokenizer } from '../../lib/processor/index.js';
import { goldenPath, type ModelVariant } from './golden.js';

/**
 * Tiny: the fixture tokenizer.json, which matches its vocabulary. Small and Base: byte tokens over the
 * first 1,024 ids, since the golden directories carry no tokenizer of their size.
 */
export function goldenTokenizer(variant: ModelVariant): string | TextTokenizer {
  return variant === 'tiny' ? goldenPath('tokenizer', 'tokenizer.json') : new ByteTokenizer(1024);
}
