/**
 * The low-level engine API rejects bad arguments with typed errors before any work, and a rejected call
 * leaves the model usable: the same sequence then runs a valid prompt to the golden logits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineModel, type EnginePrompt } from '../../lib/engine/native-model.js';
import { ContextOverflowError, InvalidArgumentError } from '../../lib/errors.js';
import { goldenCase, goldenPath, readF32, readU8, relativeError } from '../support/golden.js';

/** fp32 arithmetic must agree with the reference to this relative error (golden README). */
const fp32Tolerance = 1e-4;

let model: EngineModel;
const golden = goldenCase('small', 'one-image');
const tiles = readU8(golden.tiles_file as string);
const validPrompt: EnginePrompt = {
  inputIds: golden.input_ids,
  tiles,
  imagesSpatialCrop: golden.images_spatial_crop.flat(),
  imageTokenPositions: golden.image_token_positions,
};

beforeAll(async () => {
  model = await EngineModel.load(goldenPath('models', 'small'), { cacheTokens: 8192 });
});

afterAll(() => model.close());

async function rejectsPrompt(prompt: EnginePrompt, type: new (...args: never[]) => Error, message: RegExp) {
  const sequence = model.createSequence();
  try {
    await expect(model.prefill(sequence, prompt)).rejects.toSatisfy(
      (error: Error) => error instanceof type && message.test(error.message),
    );
    // Nothing of the rejected prompt stayed in the cache: the sequence still takes a full prompt.
    const { logits } = await model.prefill(sequence, validPrompt);
    expect(relativeError(logits, readF32('cases', 'small-one-image.logits_last.f32'))).toBeLessThan(
      fp32Tolerance,
    );
  } finally {
    model.freeSequence(sequence);
  }
}

describe('prefill arguments', () => {
  const vocab = () => model.info().vocabSize;

  it('rejects an empty prompt', async () => {
    await rejectsPrompt({ inputIds: [] }, InvalidArgumentError, /inputIds is empty/);
  });

  it('rejects token ids outside the vocabulary', async () => {
    const ids = [...golden.input_ids];
    ids[3] = vocab();
    await rejectsPrompt({ ...validPrompt, inputIds: ids }, InvalidArgumentError, /outside the vocabulary/);
    ids[3] = -1;
    await rejectsPrompt({ ...validPrompt, inputIds: ids }, InvalidArgumentError, /outside the vocabulary/);
  });

  it('rejects a tile count that does not fit the spatial crops', async () => {
    const [across, down] = golden.images_spatial_crop[0] as [number, number];
    await rejectsPrompt(
      { ...validPrompt, tiles: tiles.subarray(0, tiles.length - 384 * 384 * 3) },
      InvalidArgumentError,
      /tiles hold/,
    );
    await rejectsPrompt(
      { ...validPrompt, imagesSpatialCrop: [across + 1, down] },
      InvalidArgumentError,
      /spatial crops need|imageTokenPositions/,
    );
    await rejectsPrompt(
      { ...validPrompt, imagesSpatialCrop: [0, down] },
      InvalidArgumentError,
      /images_spatial_crop/,
    );
  });

  it('rejects image token positions of the wrong count, order or range', async () => {
    const positions = [...golden.image_token_positions];
    await rejectsPrompt(
      { ...validPrompt, imageTokenPositions: positions.slice(1) },
      InvalidArgumentError,
      /imageTokenPositions has/,
    );
    const swapped = [...positions];
    [swapped[0], swapped[1]] = [swapped[1] as number, swapped[0] as number];
    await rejectsPrompt({ ...validPrompt, imageTokenPositions: swapped }, InvalidArgumentError, /ascend/);
    const outside = [...positions];
    outside[outside.length - 1] = golden.input_ids.length;
    await rejectsPrompt({ ...validPrompt, imageTokenPositions: outside }, InvalidArgumentError, /ascend/);
  });

  it('rejects a prompt longer than the context', async () => {
    const tooLong = new Int32Array(model.info().maxPositions + 1).fill(5);
    await rejectsPrompt({ inputIds: tooLong }, ContextOverflowError, /context holds/);
  });

  it('rejects a second prefill into a used sequence and an unknown sequence', async () => {
    const sequence = model.createSequence();
    try {
      await model.prefill(sequence, validPrompt);
      await expect(model.prefill(sequence, validPrompt)).rejects.toThrow(InvalidArgumentError);
      await expect(model.prefill(123456789, validPrompt)).rejects.toThrow(/unknown sequence/);
    } finally {
      model.freeSequence(sequence);
    }
  });
});

describe('decode arguments', () => {
  it('rejects tokens outside the vocabulary, unknown, unprefilled and repeated sequences', async () => {
    const prefilled = model.createSequence();
    const empty = model.createSequence();
    try {
      await model.prefill(prefilled, validPrompt);
      const vocab = model.info().vocabSize;
      await expect(model.decode([{ sequence: prefilled, token: vocab }])).rejects.toThrow(
        InvalidArgumentError,
      );
      await expect(model.decode([{ sequence: 987654321, token: 5 }])).rejects.toThrow(/unknown sequence/);
      await expect(model.decode([{ sequence: empty, token: 5 }])).rejects.toThrow(/before prefill/);
      await expect(
        model.decode([
          { sequence: prefilled, token: 5 },
          { sequence: prefilled, token: 6 },
        ]),
      ).rejects.toThrow(/twice/);
      // None of the rejected steps appended a token: the first greedy step still matches the reference.
      const logits = await model.decode([{ sequence: prefilled, token: golden.greedy_tokens[0] as number }]);
      const step = golden.greedy_step_topk[0] as { ids: number[] };
      let best = 0;
      for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
      expect(best).toBe(step.ids[0]);
    } finally {
      model.freeSequence(prefilled);
      model.freeSequence(empty);
    }
  });

  it('rejects every call after close', async () => {
    const closing = await EngineModel.load(goldenPath('models', 'small'), { cacheTokens: 64 });
    closing.close();
    expect(() => closing.createSequence()).toThrow(InvalidArgumentError);
    await expect(closing.decode([{ sequence: 1, token: 5 }])).rejects.toThrow(InvalidArgumentError);
  });
});
