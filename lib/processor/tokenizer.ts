/**
 * Text <-> token ids. The real path reads the model's tokenizer.json with @huggingface/tokenizers;
 * byte-tokenizer.ts holds the golden fixtures' stand-in for small-vocabulary models.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { CheckpointError } from '../errors.js';
import { byteLevelBytes, packTokenBytes, type TokenBytes } from './token-bytes.js';

/** What the processor and the decoder need from a tokenizer. */
export interface TextTokenizer {
  /** Ids of text, with no BOS/EOS added; special tokens in the text map to their ids. */
  encode(text: string): number[];
  /** Text of ids; special tokens dropped when skipSpecial. */
  decode(ids: number[], options?: { skipSpecial?: boolean }): string;
  /** The id of a special token such as `<image>`, or undefined. */
  tokenId(token: string): number | undefined;
  readonly bosId: number;
  readonly eosId: number;
  readonly imageId: number;
  /** Ids that are special tokens (hidden when decoding with skipSpecial). */
  readonly specialIds: ReadonlySet<number>;
  /** Every token's text as bytes over `size` ids (a model's vocabulary may pad past the tokenizer's). */
  tokenBytes(size: number): TokenBytes;
}

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

export const bosToken = '<｜begin▁of▁sentence｜>';
export const eosToken = '<｜end▁of▁sentence｜>';
export const imageToken = '<image>';

/** Token ids cross into native code as int32. */
const maxTokenId = 2 ** 31 - 1;

/** Text that exercises every stage of a byte-level BPE pipeline: words, digits, CJK, punctuation, a special token. */
const tokenizerProbeText = 'Hello, world 123 世界 <image>\n';

/** A Hugging Face tokenizer.json (byte-level BPE for DeepSeek-VL2). */
export class HfTokenizer implements TextTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly imageId: number;
  readonly specialIds: ReadonlySet<number>;
  private readonly byContent: Map<string, number>;

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly added: AddedToken[],
    private readonly source: string,
    private readonly vocab: Record<string, unknown>,
  ) {
    this.byContent = new Map(added.map((t) => [t.content, t.id]));
    this.specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
    const required = (content: string) => {
      const id = this.byContent.get(content);
      if (id === undefined) throw new CheckpointError(`${source} has no ${content} token`, { file: source });
      return id;
    };
    this.bosId = required(bosToken);
    this.eosId = required(eosToken);
    this.imageId = required(imageToken);
  }

  /** Loads tokenizer.json (and tokenizer_config.json when present) from a file path. */
  static async load(tokenizerJsonPath: string): Promise<HfTokenizer> {
    let json: { added_tokens?: AddedToken[] };
    try {
      json = JSON.parse(await readFile(tokenizerJsonPath, 'utf8'));
    } catch (error) {
      throw new CheckpointError(
        `cannot read the tokenizer ${tokenizerJsonPath}: ${(error as Error).message}`,
        {
          file: tokenizerJsonPath,
          cause: error,
        },
      );
    }
    const configPath = join(tokenizerJsonPath, '..', 'tokenizer_config.json');
    // Optional: absent means no chat-template extras; present but unreadable is refused by name.
    const configText = await readFile(configPath, 'utf8').catch(() => '{}');
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(configText);
    } catch (error) {
      throw new CheckpointError(`${configPath} is not valid JSON`, { file: configPath, cause: error });
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      throw new CheckpointError(`${configPath} is not a JSON object`, { file: configPath });
    const refuse = (why: string, cause?: unknown) =>
      new CheckpointError(`the tokenizer ${tokenizerJsonPath} ${why}`, { file: tokenizerJsonPath, cause });
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw refuse('is not a JSON object');
    const added = json.added_tokens ?? [];
    if (
      !Array.isArray(added) ||
      !added.every(
        (t) =>
          typeof t === 'object' && t !== null && Number.isSafeInteger(t.id) && typeof t.content === 'string',
      )
    ) {
      throw refuse('has added_tokens that are not a list of {id, content}');
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, config);
    } catch (error) {
      // @huggingface/tokenizers throws plain Errors (and TypeErrors) for the structures it cannot read.
      throw refuse(`cannot be read: ${(error as Error).message}`, error);
    }
    const model = (json as { model?: { vocab?: unknown } }).model;
    const vocab =
      typeof model?.vocab === 'object' && model.vocab !== null && !Array.isArray(model.vocab)
        ? (model.vocab as Record<string, unknown>)
        : {};
    const loaded = new HfTokenizer(tokenizer, added, tokenizerJsonPath, vocab);
    // @huggingface/tokenizers builds parts of its pipeline on first use: a malformed pre-tokenizer or
    // decoder fails only when text goes through it (found by test/fuzz/tokenizer), so text goes
    // through once here, where the error can name the file.
    loaded.decode(loaded.encode(tokenizerProbeText));
    return loaded;
  }

  encode(text: string): number[] {
    let ids: number[];
    try {
      ids = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    } catch (error) {
      throw this.unusable(error);
    }
    // A vocabulary entry that is not a token id (a string, -1, 0.5: found by test/fuzz/tokenizer)
    // comes out as such; the engine takes int32 ids only.
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id > maxTokenId);
    if (bad !== undefined)
      throw this.unusable(new Error(`it produced ${JSON.stringify(bad)}, which is not a token id`));
    return ids;
  }

  /** A library failure on text: the tokenizer file describes a pipeline that cannot run. */
  private unusable(error: unknown): CheckpointError {
    return new CheckpointError(
      `the tokenizer ${this.source} cannot process text: ${(error as Error).message}`,
      {
        file: this.source,
        cause: error,
      },
    );
  }

  decode(ids: number[], options: { skipSpecial?: boolean } = {}): string {
    // The library refuses an empty list; no ids are no text (found by test/fuzz/tokenizer).
    if (ids.length === 0) return '';
    try {
      return this.tokenizer.decode(ids, { skip_special_tokens: options.skipSpecial ?? false });
    } catch (error) {
      throw this.unusable(error);
    }
  }

  tokenId(token: string): number | undefined {
    return this.byContent.get(token);
  }

  tokenBytes(size: number): TokenBytes {
    const encoder = new TextEncoder();
    const texts: { id: number; bytes: Uint8Array; special: boolean }[] = [];
    for (const [text, id] of Object.entries(this.vocab)) {
      const bytes = typeof id === 'number' ? byteLevelBytes(text) : undefined;
      if (bytes) texts.push({ id: id as number, bytes, special: false });
    }
    // Added tokens last: their ids win over a vocabulary entry with the same id.
    for (const t of this.added)
      texts.push({ id: t.id, bytes: encoder.encode(t.content), special: t.special });
    return packTokenBytes(size, texts);
  }
}
