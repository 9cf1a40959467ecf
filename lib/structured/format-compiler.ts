/**
 * Response formats compiled for one model: its tokenizer's vocabulary (built once, on first use,
 * off the JS thread) and each format's grammar compiled against it, kept by a hash of the format
 * so a schema sent with every request compiles once. Grammar errors from the engine come back
 * as ConstraintError with their line and column.
 */
import { createHash } from 'node:crypto';
import { nativeAddon } from '../engine/addon.js';
import type { NativeGrammar, NativeVocabulary } from '../engine/native-types.js';
import { ConstraintError, fromNativeError } from '../errors.js';
import type { TextTokenizer } from '../processor/tokenizer.js';
import { grammarOf, type ResponseFormat } from './response-format.js';

/** Compiled grammars kept per model; the oldest goes first past this many. */
const keptGrammars = 256;

export class FormatCompiler {
  private vocabulary?: Promise<NativeVocabulary>;
  private readonly grammars = new Map<string, Promise<NativeGrammar>>();

  /** vocabSize: the model's (its logits), which may pad past the tokenizer's ids. */
  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly vocabSize: number,
  ) {}

  /** The compiled grammar of a format; undefined for free text. Throws ConstraintError for a bad one. */
  async compile(format: ResponseFormat): Promise<NativeGrammar | undefined> {
    if (format.type === 'text') return undefined;
    // Keyed by the format as JSON, so a schema sent again skips its conversion to grammar text too
    // (milliseconds for a large schema) and costs a hash.
    const key = createHash('sha256').update(JSON.stringify(format)).digest('hex');
    let grammar = this.grammars.get(key);
    if (grammar) {
      this.grammars.delete(key); // most recently used last
    } else {
      const compiled = grammarOf(format);
      if (!compiled) return undefined;
      // A tokenizer without one of these tokens spells its text with ordinary tokens instead.
      const specialIds = compiled.allowedSpecial.flatMap((token) => {
        const id = this.tokenizer.tokenId(token);
        return id === undefined ? [] : [id];
      });
      grammar = this.build(compiled.grammar, specialIds);
      grammar.catch(() => this.grammars.delete(key)); // a failure is not kept
    }
    this.grammars.set(key, grammar);
    while (this.grammars.size > keptGrammars)
      this.grammars.delete(this.grammars.keys().next().value as string);
    return grammar;
  }

  private async build(text: string, specialIds: number[]): Promise<NativeGrammar> {
    const addon = nativeAddon();
    this.vocabulary ??= (async () => {
      const { bytes, offsets, special } = this.tokenizer.tokenBytes(this.vocabSize);
      return addon.createVocabulary(bytes, offsets, special);
    })();
    try {
      return await addon.compileGrammar(text, await this.vocabulary, Int32Array.from(specialIds));
    } catch (error) {
      throw withPlace(fromNativeError(error));
    }
  }
}

/** The engine's grammar refusals start "line L, column C:"; they become the error's fields. */
function withPlace(error: Error): Error {
  if (!(error instanceof ConstraintError)) return error;
  const place = /^line (\d+), column (\d+): /.exec(error.message);
  if (!place) return error;
  return new ConstraintError(`grammar ${error.message}`, {
    line: Number(place[1]),
    column: Number(place[2]),
    cause: error,
  });
}
