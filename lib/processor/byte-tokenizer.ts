/**
 * The golden fixtures' stand-in tokenizer for the small-vocabulary models (and tiny synthetic ones):
 * id = 3 + UTF-8 byte, BOS 0, EOS 1, pad 2, `<image>` = vocabSize - 1. Only `<image>` is a special
 * token in text.
 */
import { InvalidArgumentError } from '../errors.js';
import { packTokenBytes, type TokenBytes } from './token-bytes.js';
import { bosToken, eosToken, imageToken, type TextTokenizer } from './tokenizer.js';

/** The 3 control ids and the 256 byte ids come before `<image>`. */
const minVocabSize = 3 + 256 + 1;

export class ByteTokenizer implements TextTokenizer {
  readonly bosId = 0;
  readonly eosId = 1;
  readonly imageId: number;
  readonly specialIds: ReadonlySet<number>;

  constructor(vocabSize: number) {
    if (!Number.isInteger(vocabSize) || vocabSize < minVocabSize)
      throw new InvalidArgumentError(`a byte tokenizer needs a vocabulary of at least ${minVocabSize} ids`);
    this.imageId = vocabSize - 1;
    this.specialIds = new Set([0, 1, 2, this.imageId]);
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    text.split(imageToken).forEach((piece, i) => {
      if (i > 0) ids.push(this.imageId);
      for (const byte of Buffer.from(piece, 'utf8')) ids.push(byte + 3);
    });
    return ids;
  }

  decode(ids: number[], options: { skipSpecial?: boolean } = {}): string {
    const parts: string[] = [];
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length) parts.push(Buffer.from(bytes).toString('utf8'));
      bytes = [];
    };
    for (const id of ids) {
      if (id >= 3 && id < 259) {
        bytes.push(id - 3);
        continue;
      }
      flush();
      if (options.skipSpecial) continue;
      parts.push(
        id === this.imageId
          ? imageToken
          : id === 0
            ? bosToken
            : id === 1
              ? eosToken
              : id === 2
                ? '<｜▁pad▁｜>'
                : '',
      );
    }
    flush();
    return parts.join('');
  }

  tokenId(token: string): number | undefined {
    return token === imageToken ? this.imageId : token === bosToken ? 0 : token === eosToken ? 1 : undefined;
  }

  tokenBytes(size: number): TokenBytes {
    const encoder = new TextEncoder();
    const texts = [
      { id: 0, bytes: encoder.encode(bosToken), special: true },
      { id: 1, bytes: encoder.encode(eosToken), special: true },
      { id: 2, bytes: encoder.encode('<｜▁pad▁｜>'), special: true },
      { id: this.imageId, bytes: encoder.encode(imageToken), special: true },
    ];
    for (let byte = 0; byte < 256; byte++)
      texts.push({ id: byte + 3, bytes: Uint8Array.of(byte), special: false });
    return packTokenBytes(size, texts);
  }
}
