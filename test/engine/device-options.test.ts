/**
 * Choosing the backend: invalid device options are refused before any work, and asking for CUDA
 * where it cannot run fails with a typed error that says why (CI: the CUDA backend is compiled,
 * no driver answers). Where a GPU is present the GPU checks (test/golden/cuda.test.ts) run instead.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../../lib/backends.js';
import { EngineModel } from '../../lib/engine/native-model.js';
import { InvalidArgumentError, UnsupportedError, Vl2Error } from '../../lib/errors.js';
import { loadModel } from '../../lib/index.js';
import { goldenPath } from '../support/golden.js';

const cuda = backends().find((b) => b.name === 'cuda');
const tiny = goldenPath('models', 'tiny');
const tokenizer = goldenPath('tokenizer', 'tokenizer.json');

describe('device options', () => {
  it('refuses invalid device, cudaDevice, cacheMemoryFraction and stepTokens values', async () => {
    await expect(EngineModel.load(tiny, { device: 'tpu' as 'cpu' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(EngineModel.load(tiny, { device: 'cuda', cudaDevice: -1 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(EngineModel.load(tiny, { device: 'cuda', cacheMemoryFraction: 1.5 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(EngineModel.load(tiny, { device: 'cpu', cacheMemoryFraction: 0.5 })).rejects.toThrow(
      /applies to device 'cuda' only/,
    );
    await expect(loadModel(tiny, { device: 'cpu', stepTokens: 0, tokenizer })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it.skipIf(cuda?.available)(
    "device 'cuda' without a usable GPU fails with a typed error saying why",
    async () => {
      await expect(loadModel(tiny, { device: 'cuda' })).rejects.toBeInstanceOf(UnsupportedError);
      await expect(loadModel(tiny, { device: 'cuda' })).rejects.toThrow(/not available here: \S/);
      // The engine level reaches the native backend, which refuses with its own typed error.
      const error = await EngineModel.load(tiny, { device: 'cuda', cacheTokens: 1024 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Vl2Error);
      expect((error as Vl2Error).code).toMatch(/^VL2_(CUDA|UNSUPPORTED)$/);
    },
  );

  it("device 'auto' runs where it can and says which backend it took", async () => {
    const model = await loadModel(tiny, { device: 'auto', cacheTokens: 1024, tokenizer });
    try {
      expect(model.device).toBe(cuda?.available ? 'cuda' : 'cpu');
      expect(model.info().backend).toBe(model.device);
      expect(model.info().cacheCapacityTokens).toBeGreaterThanOrEqual(1024);
    } finally {
      model.close();
    }
  });
});
