/** The engine refuses malformed prompts and calls with typed errors, before any work and without crashing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineModel } from '../../lib/engine/native-model.js';
import { ContextOverflowError, InvalidArgumentError } from '../../lib/errors.js';
import { goldenPath } from '../support/golden.js';

let model: EngineModel;
beforeAll(async () => {
  model = await EngineModel.load(goldenPath('models', 'small'), { cacheTokens: 8192 });
});
afterAll(() => model.close());

const tile = 384 * 384 * 3;

describe('engine input validation', () => {
  it.each([
    ['an empty prompt', { inputIds: [] }, InvalidArgumentError, /inputIds is empty/],
    ['an id past the vocabulary', { inputIds: [0, 5000] }, InvalidArgumentError, /outside the vocabulary/],
    ['a negative id', { inputIds: [0, -1] }, InvalidArgumentError, /outside the vocabulary/],
    ['a non-integer id', { inputIds: [0, 1.5] }, InvalidArgumentError, /must be an integer/],
    [
      'tiles that do not match the crops',
      { inputIds: [0, 1], tiles: new Uint8Array(tile), imagesSpatialCrop: [1, 1], imageTokenPositions: [] },
      InvalidArgumentError,
      /need 2 tiles/,
    ],
    [
      'too few image positions',
      {
        inputIds: [0, 1],
        tiles: new Uint8Array(2 * tile),
        imagesSpatialCrop: [1, 1],
        imageTokenPositions: [1],
      },
      InvalidArgumentError,
      /the images need 421/,
    ],
    [
      'an invalid crop',
      { inputIds: [0, 1], imagesSpatialCrop: [0, 3] },
      InvalidArgumentError,
      /images_spatial_crop/,
    ],
    [
      'a prompt past the context',
      { inputIds: new Array(5000).fill(7) },
      ContextOverflowError,
      /context holds 4096/,
    ],
  ])('refuses %s', async (_, prompt, type, message) => {
    const sequence = model.createSequence();
    try {
      const error = await model.prefill(sequence, prompt as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    } finally {
      model.freeSequence(sequence);
    }
  });

  it('refuses decode on an unknown sequence or before prefill, and bad load options', async () => {
    await expect(model.decode([{ sequence: 987654, token: 5 }])).rejects.toThrow(/unknown sequence/);
    const sequence = model.createSequence();
    await expect(model.decode([{ sequence, token: 5 }])).rejects.toThrow(/decode before prefill/);
    model.freeSequence(sequence);
    await expect(EngineModel.load(goldenPath('models', 'small'), { cacheTokens: 0 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('still works after all of that', async () => {
    const sequence = model.createSequence();
    const { logits } = await model.prefill(sequence, { inputIds: [0, 50, 60] });
    expect(logits.length).toBe(model.info().vocabSize);
    model.freeSequence(sequence);
  });
});
