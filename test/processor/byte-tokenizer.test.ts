/** The golden README's stand-in tokenizer: id = 3 + UTF-8 byte, BOS 0, EOS 1, pad 2, <image> last. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../lib/errors.js';
import { ByteTokenizer } from '../../lib/processor/index.js';

const tokenizer = new ByteTokenizer(1024);

describe('ByteTokenizer', () => {
  it('maps UTF-8 bytes to ids and <image> to the last id', () => {
    const text = 'é<image>a';
    const bytes = Array.from(Buffer.from('é', 'utf8'));
    expect(tokenizer.encode(text)).toEqual([...bytes.map((b) => b + 3), 1023, 'a'.charCodeAt(0) + 3]);
    expect([tokenizer.bosId, tokenizer.eosId, tokenizer.imageId]).toEqual([0, 1, 1023]);
  });

  it('decodes back to the text, with or without special tokens', () => {
    const ids = [tokenizer.bosId, ...tokenizer.encode('<image>\nDescribe ☃.'), tokenizer.eosId];
    expect(tokenizer.decode(ids, { skipSpecial: true })).toBe('\nDescribe ☃.');
    expect(tokenizer.decode(ids)).toBe('<｜begin▁of▁sentence｜><image>\nDescribe ☃.<｜end▁of▁sentence｜>');
  });

  it('refuses a vocabulary too small for the byte ids', () => {
    expect(() => new ByteTokenizer(100)).toThrow(InvalidArgumentError);
  });
});
