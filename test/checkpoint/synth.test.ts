/**
 * Synthetic checkpoints: every variant at real width with 2 language layers passes the full
 * validation and loads natively with the real per-layer shapes; activations stay O(1) through the
 * layers; the same seed draws the same values. Each checkpoint is deleted before the next is written
 * (the largest, Base, is about 4 GB).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../lib/checkpoint/config.js';
import { expectedTensors, openCheckpoint } from '../../lib/checkpoint/index.js';
import { EngineModel } from '../../lib/engine/native-model.js';
import { fillBf16Pairs, pairTable } from '../../lib/synth/random.js';
import { variantConfig, variantNames } from '../../lib/synth/variants.js';
import { writeSyntheticCheckpoint } from '../../lib/synth/write-checkpoint.js';
import { goldenPath, readJson, readU8 } from '../support/golden.js';

const tokenizerJson = goldenPath('tokenizer', 'tokenizer.json');
const work = await mkdtemp(join(tmpdir(), 'vl2-synth-'));
afterAll(() => rm(work, { recursive: true, force: true }));

function rms(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return Math.sqrt(sum / values.length);
}

/** Tiles of the first image of a golden case: its global view and its one local tile. */
const tileBytes = 384 * 384 * 3;
const imageTiles = () => readU8('tiles', 'three-images.tiles.u8').subarray(0, 2 * tileBytes);
/** One image of 1x1 tiles: 14 rows of (14 + newline), the separator, 14 rows of (14 + newline). */
const imageTokens = 210 + 1 + 14 * 15;

async function checkImagePath(model: EngineModel): Promise<void> {
  const sequence = model.createSequence();
  const positions = Int32Array.from({ length: imageTokens }, (_, i) => 1 + i);
  const inputIds = new Int32Array(1 + imageTokens + 8); // BOS (id 0) first
  inputIds.fill(readJson<{ image: number }>('tokenizer', 'cases.json').image, 1, 1 + imageTokens);
  for (let i = 1 + imageTokens; i < inputIds.length; i++) inputIds[i] = 1000 + i;
  const result = await model.prefill(
    sequence,
    { inputIds, tiles: imageTiles(), imagesSpatialCrop: [1, 1], imageTokenPositions: positions },
    { capture: true },
  );
  for (const [what, values] of [
    ['SigLIP output', result.vision0],
    ['projector output', result.projector0],
    ['logits after the image', result.logits],
  ] as const) {
    expect(values, what).toBeDefined();
    expect(rms(values as Float32Array), what).toBeGreaterThan(0.1);
    expect(rms(values as Float32Array), what).toBeLessThan(10);
  }
  const hidden = model.info().hiddenSize;
  const hiddenLast = result.hiddenLast as Float32Array;
  for (let l = 0; l < hiddenLast.length / hidden; l++) {
    const value = rms(hiddenLast.subarray(l * hidden, (l + 1) * hidden));
    expect(value, `hidden RMS after layer ${l}, with an image`).toBeGreaterThan(0.1);
    expect(value, `hidden RMS after layer ${l}, with an image`).toBeLessThan(10);
  }
  model.freeSequence(sequence);
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

      const model = await EngineModel.load(out, { cacheTokens: 1024 });
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
        // The vision tower keeps its full 27 layers at every depth: one image (global view + one
        // local tile) through SigLIP and the projector, checked once (the tower is the same in all).
        if (variant === 'tiny') await checkImagePath(model);
      } finally {
        model.close();
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe.each(variantNames)('synthetic %s at toy width, full depth', (variant) => {
  it('keeps the hidden state O(1) after every layer', async () => {
    const layers = parseModelConfig(variantConfig(variant)).language.numHiddenLayers;
    const out = join(work, `${variant}-deep-toy`);
    await writeSyntheticCheckpoint({ variant, out, layers, toy: true, seed: 11 });
    const model = await EngineModel.load(out, { cacheTokens: 256 });
    try {
      const prompt = Int32Array.from({ length: 48 }, (_, i) => (i * 37 + 5) % 1000);
      const result = await model.prefill(model.createSequence(), { inputIds: prompt }, { capture: true });
      const hidden = model.info().hiddenSize;
      const hiddenLast = result.hiddenLast as Float32Array;
      expect(hiddenLast.length / hidden).toBe(layers + 1);
      const row = (l: number) => hiddenLast.subarray(l * hidden, (l + 1) * hidden);
      for (let l = 0; l < layers + 1; l++) {
        expect(rms(row(l)), `hidden RMS after layer ${l} of ${layers}`).toBeGreaterThan(0.5);
        expect(rms(row(l)), `hidden RMS after layer ${l} of ${layers}`).toBeLessThan(2);
      }
      // Neither exploding nor vanishing: the layers together move the stream by a sizeable fraction
      // of its norm (about half; with dead branches this would be 0).
      const change = row(layers - 1).map((v, i) => v - (row(0)[i] as number));
      expect(rms(change)).toBeGreaterThan(0.2);
    } finally {
      model.close();
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('synthetic weights', () => {
  it('have the standard deviation asked for, and differ by seed', () => {
    const draw = (seed: number) => {
      const out = new Uint32Array(1 << 16);
      fillBf16Pairs(out, pairTable(0.02), seed);
      return new Uint16Array(out.buffer);
    };
    const values = Float32Array.from(
      draw(3),
      (bits) => new Float32Array(new Uint32Array([bits << 16]).buffer)[0] as number,
    );
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(rms(values)).toBeGreaterThan(0.0195);
    expect(rms(values)).toBeLessThan(0.0205);
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });

  it('are the same bytes whatever the thread count and the sharding, and change with the seed', async () => {
    const write = async (name: string, seed: number, threads: number, maxShardBytes?: number) => {
      const out = join(work, name);
      await writeSyntheticCheckpoint({ variant: 'base', toy: true, out, seed, threads, maxShardBytes });
      const table = await openCheckpoint(out);
      const bytes = new Map<string, Buffer>();
      const files = table.files.map((f) => readFileSync(f));
      for (const t of table.tensors) {
        bytes.set(t.name, (files[t.file] as Buffer).subarray(t.offset, t.offset + t.byteLength));
      }
      return { bytes, shards: table.files.length };
    };
    const one = await write('toy-1', 5, 1);
    const three = await write('toy-3', 5, 3, 1024 * 1024);
    const other = await write('toy-other', 6, 2);
    expect(three.shards).toBeGreaterThan(one.shards);
    expect([...three.bytes.keys()]).toEqual([...one.bytes.keys()]);
    for (const [name, bytes] of one.bytes) expect(three.bytes.get(name)?.equals(bytes), name).toBe(true);
    const embed = 'language.model.embed_tokens.weight';
    expect(other.bytes.get(embed)?.equals(one.bytes.get(embed) as Buffer)).toBe(false);
  });
});
