/**
 * Incremental detokenisation: turns a growing list of token ids into text chunks that never split a
 * UTF-8 character and never revise what was emitted, and cuts the text at the first stop string, even
 * when it arrives across several chunks (text that could still become a stop string is held back).
 */
import type { TextTokenizer } from './processor/tokenizer.js';

const replacement = '\uFFFD';

/** Detokenises one answer as its tokens arrive (one instance per answer). */
export class IncrementalDecoder {
  private ids: number[] = [];
  // Only ids from prefixOffset on are decoded again: those before readOffset were already turned into
  // text, and the few before them give the window the same context as the whole list, so a tokenizer
  // that treats the start of a text specially decodes both alike. Each token costs O(1), not O(length).
  private prefixOffset = 0;
  private readOffset = 0;
  private emitted = ''; // text released to the caller
  private pending = ''; // decoded text held back because it may begin a stop string
  stopped = false;

  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly stop: string[],
    private readonly showSpecialTokens: boolean,
  ) {}

  /** The whole text released so far. */
  get text(): string {
    return this.emitted;
  }

  /** Adds a token; returns the new text that may be shown now (possibly empty). */
  push(token: number): string {
    if (this.stopped) return '';
    this.ids.push(token);
    this.pending += this.decodeNew(false);
    return this.release(false);
  }

  /** At the end of the stream: whatever was held back (no stop string completed). */
  flush(): string {
    if (!this.stopped) this.pending += this.decodeNew(true);
    return this.release(true);
  }

  // The text the ids after readOffset add. A trailing replacement character is an incomplete UTF-8
  // sequence: until the stream ends, nothing is taken while the text ends in one.
  private decodeNew(final: boolean): string {
    const before = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const after = this.decode(this.ids.slice(this.prefixOffset));
    if (!final && (after.length <= before.length || after.endsWith(replacement))) return '';
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return after.slice(before.length);
  }

  // Some tokenizers refuse an empty list.
  private decode(ids: number[]): string {
    return ids.length ? this.tokenizer.decode(ids, { skipSpecial: !this.showSpecialTokens }) : '';
  }

  private release(final: boolean): string {
    if (this.stopped) return '';
    let cut = -1;
    for (const s of this.stop) {
      const at = this.pending.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    let out: string;
    if (cut >= 0) {
      out = this.pending.slice(0, cut);
      this.stopped = true;
      this.pending = '';
    } else if (final) {
      out = this.pending;
      this.pending = '';
    } else {
      // Hold back the longest suffix that is a prefix of some stop string.
      let hold = 0;
      for (const s of this.stop) {
        for (let n = Math.min(s.length - 1, this.pending.length); n > hold; n--) {
          if (this.pending.endsWith(s.slice(0, n))) {
            hold = n;
            break;
          }
        }
      }
      out = this.pending.slice(0, this.pending.length - hold);
      this.pending = this.pending.slice(this.pending.length - hold);
    }
    this.emitted += out;
    return out;
  }
}
