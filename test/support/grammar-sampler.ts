/**
 * Random texts a grammar accepts, for tests that check every accepted text is valid (against a
 * JSON Schema, a regex, the grounding parser). A walk over ReferenceGrammar.allowedNextBytes: each
 * step picks one allowed byte, mostly ASCII, and past a soft length prefers bytes that close
 * strings, objects, arrays and tags, so walks end; it stops at an accepting prefix with probability
 * 1/2, and at the first one past the soft length.
 */
import type { ReferenceGrammar } from './grammar-reference.js';

/** mulberry32, seeded: a caller's seed (fast-check's, say) replays a walk. */
export { seededRandom } from '../../bench/support/prompts.js';

const closers = new Set([0x22, 0x5d, 0x7d, 0x3c, 0x3e]); // " ] } < >

export interface SampleOptions {
  /** Past this many bytes, closing bytes are preferred. */
  softBytes?: number;
  /** A walk longer than this gives up (undefined is returned). */
  maxBytes?: number;
}

/** One accepted text, or undefined when the walk ran past maxBytes. */
export function sampleGrammar(
  grammar: ReferenceGrammar,
  random: () => number,
  { softBytes = 40, maxBytes = 600 }: SampleOptions = {},
): string | undefined {
  const bytes: number[] = [];
  const pick = (options: number[]) => options[Math.floor(random() * options.length)] as number;
  while (bytes.length <= maxBytes) {
    const prefix = Uint8Array.from(bytes);
    const allowed = [...grammar.allowedNextBytes(prefix)];
    if (grammar.accepts(prefix) && (allowed.length === 0 || bytes.length > softBytes || random() < 0.5))
      return new TextDecoder('utf-8', { fatal: true }).decode(prefix);
    if (allowed.length === 0) throw new Error('sampleGrammar: a prefix with no way on and no match');
    const closing = allowed.filter((b) => closers.has(b));
    const ascii = allowed.filter((b) => b < 0x80);
    if (bytes.length > softBytes && closing.length && random() < 0.7) bytes.push(pick(closing));
    else if (ascii.length && random() < 0.85) bytes.push(pick(ascii));
    else bytes.push(pick(allowed));
  }
  return undefined;
}
