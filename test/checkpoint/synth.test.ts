/**
 * Synthetic checkpoints: every variant at real width with 2 language layers passes the full
 * validation and loads natively with the real per-layer shapes; activations stay O(1) through the
 * layers; the same seed draws the same values. Each checkpoint is deleted before the next is written
 * (the largest, Base, is about 4 GB).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../lib/checkpoint/config.js';
import { expectedTensors, openCheckpoint } from '../../lib/checkpoint/index.js';
import { EngineModel } from '../../lib/engine/native-model.js';
import { Random } from '../../lib/synth/random.js';
import { variantConfig, variantNames } from '../../lib/synth/variants.js';
import { writeSyntheticCheckpoint } from '../../lib/synth/write-checkpoint.js';
import { goldenPath } from '../support/golden.js';

const tokenizerJson = goldenPath('tokenizer', 'tokenizer.json');
const work = await mkdtemp(join(tmpdir(), 'vl2-synth-'));
afterAll(() => rm(work, { recursive: true, force: true }));

function rms(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return Math.sqrt(sum / values.length);
}

describe.each(variantNames)('synthetic %s with 2 layers', (variant) => {
  it('validates, loads with the published per-layer shapes, and keeps activations O(1)', async () => {
    const out = join(work, variant);
    try {
      await writeSyntheticCheckpoint({ variant, out, layers: 2, seed: 7, tokenizerJson });
      const table = await openCheckpoint(out);
      expect(table.unexpectedTensors).toEqual([]);
      // Layer 1 (the first MoE layer) has exactly the published variant's shapes.
      const full = expectedTensors(parseModelConfig(variantConfig(variant)));
      const layerOne = full.filter((t) => t.name.startsWith('language.model.layers.1.'));
      expect(layerOne.length).toBeGreaterThan(0);
      for (const t of layerOne) expect(table.tensors.find((e) => e.name === t.name)?.shape).toEqual(t.shape);

      const model = await EngineModel.load(out, { cacheTokens: 256 });
      try {
        const sequence = model.createSequence();
        const prompt = Int32Array.from({ length: 32 }, (_, i) => (i * 7919 + 11) % 50000);
        const result = await model.prefill(sequence, { inputIds: prompt }, { capture: true });
        const hidden = model.info().hiddenSize;
        const layers = (result.hiddenLast as Float32Array).length / hidden;
        for (let l = 0; l < layers; l++) {
          const value = rms((result.hiddenLast as Float32Array).subarray(l * hidden, (l + 1) * hidden));
          expect(value, `hidden RMS after layer ${l}`).toBeGreaterThan(0.1);
          expect(value, `hidden RMS after layer ${l}`).toBeLessThan(10);
        }
        const logitsRms = rms(result.logits);
        expect(logitsRms).toBeGreaterThan(0.1);
        expect(logitsRms).toBeLessThan(10);
      } finally {
        model.close();
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('synthetic weights', () => {
  it('are deterministic by seed (each tensor draws from a generator seeded by seed and name)', () => {
    const draw = (seed: number) => {
      const out = new Uint16Array(4096);
      new Random(seed).fillBf16(out, 0.02);
      return out;
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });
});
