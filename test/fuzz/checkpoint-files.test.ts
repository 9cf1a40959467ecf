/**
 * Fuzz: a model directory's JSON files (lib/checkpoint/config.ts, index.ts). The golden Small model is
 * copied once; each run replaces config.json or model.safetensors.index.json with a mutated, cut or
 * noisy version and opens the directory. openCheckpoint either returns a table whose every tensor
 * lies inside its shard or refuses with a CheckpointError / UnsupportedError; never another
 * exception. parseModelConfig alone gets mutated objects at a higher rate; what it accepts has every
 * count in the 32-bit range the native engine reads them in.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint, parseModelConfig } from '../../lib/checkpoint/index.js';
import { CheckpointError, UnsupportedError } from '../../lib/errors.js';
import { goldenPath } from '../support/golden.js';
import { fuzzRuns, jsonishText, mutatedJson } from './arbitraries.js';

const dir = mkdtempSync(join(tmpdir(), 'vl2-fuzz-ckpt-'));
cpSync(goldenPath('models', 'small'), dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const configText = readFileSync(join(dir, 'config.json'), 'utf8');
const indexText = readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8');

/** config.json with one language_config count at the int32 maximum. */
function huge(key: string): string {
  const config = JSON.parse(configText);
  config.language_config[key] = 2 ** 31 - 1;
  return JSON.stringify(config);
}

function expectTypedRefusal(error: unknown): void {
  if (!(error instanceof CheckpointError || error instanceof UnsupportedError)) throw error;
}

async function openAndCheck(): Promise<void> {
  try {
    const table = await openCheckpoint(dir);
    for (const t of table.tensors) {
      const file = table.files[t.file] as string;
      expect(t.offset + t.byteLength).toBeLessThanOrEqual(statSync(file).size);
    }
  } catch (error) {
    expectTypedRefusal(error);
  }
}

describe('fuzz: checkpoint JSON files', () => {
  it('config.json: any text is opened or refused with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(jsonishText(JSON.parse(configText)), async (text) => {
        writeFileSync(join(dir, 'config.json'), text);
        await openAndCheck();
      }),
      {
        numRuns: fuzzRuns(150),
        // Found by this property: 2^31 - 1 layers (or experts) built a list of expected tensors until
        // the JS heap ran out and the process died; validation now stops at the first missing one.
        examples: [[huge('num_hidden_layers')], [huge('n_routed_experts')]],
      },
    );
    writeFileSync(join(dir, 'config.json'), configText);
  });

  it('model.safetensors.index.json: any text is opened or refused with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(jsonishText(JSON.parse(indexText)), async (text) => {
        writeFileSync(join(dir, 'model.safetensors.index.json'), text);
        await openAndCheck();
      }),
      {
        numRuns: fuzzRuns(150),
        // Found by this property: an index that is JSON null, and shard names '' and '..'.
        examples: [['null'], ['{"weight_map":{"image_newline":""}}'], ['{"weight_map":{"a":".."}}']],
      },
    );
    writeFileSync(join(dir, 'model.safetensors.index.json'), indexText);
  });

  it('parseModelConfig: accepted configs have every count in the native int32 range', () => {
    // Real-valued settings (ratios, eps, theta) are doubles natively; every other number is a count.
    const real = new Set(['mlpRatio', 'routedScalingFactor', 'rmsNormEps', 'ropeTheta']);
    fc.assert(
      fc.property(mutatedJson(JSON.parse(configText)), (json) => {
        let config: ReturnType<typeof parseModelConfig>;
        try {
          config = parseModelConfig(json);
        } catch (error) {
          expectTypedRefusal(error);
          return;
        }
        for (const section of [config.language, config.vision, config.projector]) {
          for (const [key, value] of Object.entries(section)) {
            if (typeof value === 'number' && !real.has(key)) expect(value).toBeLessThanOrEqual(2 ** 31 - 1);
          }
        }
      }),
      { numRuns: fuzzRuns(2000) },
    );
  });
});
