/**
 * Whole conversations through the processor against the official one: the prompt string, input ids,
 * image token positions and spatial crops of every golden case, and the tiles themselves.
 */
import { describe, expect, it } from 'vitest';
import { ByteTokenizer, HfTokenizer, Processor } from '../../lib/processor/index.js';
import {
  caseNames,
  conversationOf,
  goldenCase,
  goldenPath,
  modelVariants,
  readU8,
  tileDifferences,
} from '../support/golden.js';

const hfTokenizer = await HfTokenizer.load(goldenPath('tokenizer', 'tokenizer.json'));

describe.each(modelVariants)('%s processor', (variant) => {
  it.each(caseNames)('%s reproduces the official prompt exactly', async (name) => {
    const golden = goldenCase(variant, name);
    const tokenizer = variant === 'tiny' ? hfTokenizer : new ByteTokenizer(1024);
    const processor = await Processor.fromModelDir(goldenPath('models', variant), tokenizer);
    const prompt = await processor.process(conversationOf(golden));
    expect(prompt.promptText).toBe(golden.sft_format);
    expect(Array.from(prompt.inputIds)).toEqual(golden.input_ids);
    expect(Array.from(prompt.imageTokenPositions)).toEqual(golden.image_token_positions);
    expect(Array.from(prompt.imagesSpatialCrop)).toEqual(golden.images_spatial_crop.flat());
    expect(prompt.numImageTokens).toEqual(golden.num_image_tokens);
    if (golden.tiles_file) {
      const expected = readU8(golden.tiles_file);
      expect(prompt.tiles.length).toBe(expected.length);
      const { mad, worstTileMad } = tileDifferences(prompt.tiles, expected);
      // The bounds: 1.5 of 255 for the prompt's tiles, 3.0 for any one tile.
      expect(mad).toBeLessThanOrEqual(1.5);
      expect(worstTileMad).toBeLessThanOrEqual(3.0);
    }
  });
});
