/** Golden models loaded once per test file (vitest hooks; golden.ts stays free of vitest for device scripts). */
import { afterAll, beforeAll } from 'vitest';
import { EngineModel } from '../../lib/engine/native-model.js';
import type { PrefillResult } from '../../lib/engine/native-types.js';
import {
  type GoldenCase,
  goldenCase,
  goldenPath,
  goldenPrompt,
  type ModelVariant,
  modelVariants,
  readF32,
} from './golden.js';

/** Loads the three golden models for a test file (closed after it); the map fills in beforeAll. */
export function useGoldenModels(cacheTokens: number): Map<ModelVariant, EngineModel> {
  const models = new Map<ModelVariant, EngineModel>();
  beforeAll(async () => {
    for (const variant of modelVariants) {
      models.set(variant, await EngineModel.load(goldenPath('models', variant), { cacheTokens }));
    }
  });
  afterAll(() => {
    for (const model of models.values()) model.close();
  });
  return models;
}

/** What a captured prefill of one golden case gives a check: the result, the case, its reference arrays. */
export interface CapturedCase {
  result: PrefillResult;
  golden: GoldenCase;
  model: EngineModel;
  /** The case's reference float32 array with this suffix (`embeds`, `vision0`, ...). */
  reference: (suffix: string) => Float32Array;
}

/** Prefills golden case `name` on a fresh sequence with every capture on, runs `check`, frees the sequence. */
export async function withCapturedPrefill(
  models: Map<ModelVariant, EngineModel>,
  variant: ModelVariant,
  name: string,
  check: (captured: CapturedCase) => void,
): Promise<void> {
  const golden = goldenCase(variant, name);
  const model = models.get(variant) as EngineModel;
  const sequence = model.createSequence();
  try {
    const result = await model.prefill(sequence, goldenPrompt(golden), { capture: true });
    check({
      result,
      golden,
      model,
      reference: (suffix) => readF32('cases', `${variant}-${name}.${suffix}.f32`),
    });
  } finally {
    model.freeSequence(sequence);
  }
}
