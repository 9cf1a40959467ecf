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
  private decodedLength = 0; // characters of the decoded text already released (before stop handling)
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
    const decoded = this.tokenizer.decode(this.ids, { skipSpecial: !this.showSpecialTokens });
    // A trailing replacement character is an incomplete UTF-8 sequence: wait for the next token.
    let stable = decoded.length;
    while (stable > this.decodedLength && decoded[stable - 1] === replacement) stable--;
    if (stable <= this.decodedLength) return '';
    this.pending += decoded.slice(this.decodedLength, stable);
    this.decodedLength = stable;
    return this.release(false);
  }

  /** At the end of the stream: whatever was held back (no stop string completed). */
  flush(): string {
    return this.release(true);
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
