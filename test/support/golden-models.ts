/** Golden models loaded once per test file (vitest hooks; golden.ts stays free of vitest for device scripts). */
import { afterAll, beforeAll } from 'vitest';
import { EngineModel } from '../../lib/engine/native-model.js';
import { goldenPath, type ModelVariant, modelVariants } from './golden.js';

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
