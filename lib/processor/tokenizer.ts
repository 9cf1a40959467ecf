/**
 * Text <-> token ids. The real path reads the model's tokenizer.json with @huggingface/tokenizers;
 * byte-tokenizer.ts holds the golden fixtures' stand-in for small-vocabulary models.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { CheckpointError } from '../errors.js';

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
}

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

export const bosToken = '<｜begin▁of▁sentence｜>';
export const eosToken = '<｜end▁of▁sentence｜>';
export const imageToken = '<image>';

/** A Hugging Face tokenizer.json (byte-level BPE for DeepSeek-VL2). */
export class HfTokenizer implements TextTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly imageId: number;
  readonly specialIds: ReadonlySet<number>;
  private readonly byContent: Map<string, number>;

  private constructor(
    private readonly tokenizer: Tokenizer,
    added: AddedToken[],
    source: string,
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
    const config = await readFile(configPath, 'utf8').then(
      (text) => JSON.parse(text) as Record<string, unknown>,
      () => ({}),
    );
    return new HfTokenizer(new Tokenizer(json, config), json.added_tokens ?? [], tokenizerJsonPath);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: number[], options: { skipSpecial?: boolean } = {}): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: options.skipSpecial ?? false });
  }

  tokenId(token: string): number | undefined {
    return this.byContent.get(token);
  }
}
