/**
 * Every token's text as bytes, the form constrained decoding needs (native/grammar matches UTF-8
 * bytes, and one byte-level BPE token may hold half a character). Byte-level BPE vocabularies
 * (GPT-2's scheme, used by DeepSeek) spell each byte as one printable character; byteLevelBytes
 * undoes that mapping.
 */

/** Tokens' texts packed for the addon's createVocabulary: ids without text get empty ones. */
export interface TokenBytes {
  /** Every token's bytes, one after another. */
  bytes: Uint8Array;
  /** [size + 1]: where token i's bytes start; the last entry is the total. */
  offsets: Float64Array;
  /** [size]: 1 for added (special) tokens, which a grammar may spell only where it allows them. */
  special: Uint8Array;
}

/** GPT-2's bytes_to_unicode, reversed: the printable character that stands for each byte. */
function byteLevelDecoder(): Map<string, number> {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const decoder = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    decoder.set(String.fromCodePoint(printable(b) ? b : 256 + shifted++), b);
  }
  return decoder;
}

const decoder = byteLevelDecoder();

/** A byte-level BPE vocabulary entry's bytes; undefined when it is not in that scheme. */
export function byteLevelBytes(token: string): Uint8Array | undefined {
  const out = new Uint8Array(token.length);
  let length = 0;
  for (const char of token) {
    const byte = decoder.get(char);
    if (byte === undefined) return undefined;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

/** Packs texts by id into `size` entries; ids at or past size are an error of the caller. */
export function packTokenBytes(
  size: number,
  texts: Iterable<{ id: number; bytes: Uint8Array; special: boolean }>,
): TokenBytes {
  const byId: (Uint8Array | undefined)[] = new Array(size);
  const special = new Uint8Array(size);
  let total = 0;
  for (const { id, bytes, special: isSpecial } of texts) {
    if (!Number.isInteger(id) || id < 0 || id >= size) continue;
    byId[id] = bytes;
    special[id] = isSpecial ? 1 : 0;
  }
  for (const b of byId) total += b?.length ?? 0;
  const bytes = new Uint8Array(total);
  const offsets = new Float64Array(size + 1);
  let at = 0;
  for (let id = 0; id < size; id++) {
    offsets[id] = at;
    const b = byId[id];
    if (b) {
      bytes.set(b, at);
      at += b.length;
    }
  }
  offsets[size] = at;
  return { bytes, offsets, special };
}
