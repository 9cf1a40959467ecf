/**
 * The golden cases on the CPU in cpuPrecision 'bf16' (AVX-512 BF16 kernels), judged by the golden
 * README's bf16 rule as the GPU is (test/support/bf16-golden-check.ts): logits within 2e-2, the
 * reference's top-1 inside the top-3 everywhere, the same greedy tokens where the margin is above 0.5.
 * The fp32 precision stays checked at 1e-4 by the other golden tests. Skipped, saying so, on a
 * processor without AVX-512 BF16.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../../lib/backends.js';
import { EngineModel } from '../../lib/engine/native-model.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { checkVariant, passed } from '../support/bf16-golden-check.js';
import { goldenCase, goldenPath, goldenPrompt, modelVariants, relativeError } from '../support/golden.js';

const cpu = backends().find((b) => b.name === 'cpu');
const hasBf16 = cpu?.name === 'cpu' && cpu.kernels.bf16 === 'avx512-bf16';

describe.skipIf(!hasBf16)('golden cases on the CPU in bf16 precision (bf16 tolerances)', () => {
  it.each(modelVariants)('%s: logits, top-1 in top-3, greedy tokens', async (variant) => {
    const lines = await checkVariant(variant, 'cpu', undefined, 'bf16');
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.filter((line) => !passed(line))).toEqual([]);
  });

  it('runs the AVX-512 BF16 kernels, whose logits differ from the fp32 ones', async () => {
    const golden = goldenCase('tiny', 'one-image');
    const logits = new Map<string, Float32Array>();
    for (const cpuPrecision of ['bf16', 'fp32'] as const) {
      const model = await EngineModel.load(goldenPath('models', 'tiny'), { cacheTokens: 2048, cpuPrecision });
      try {
        expect(model.info()).toMatchObject({
          cpuPrecision,
          cpuKernels: cpuPrecision === 'bf16' ? 'avx512-bf16' : 'avx2',
        });
        const sequence = model.createSequence();
        logits.set(cpuPrecision, (await model.prefill(sequence, goldenPrompt(golden))).logits);
        model.freeSequence(sequence);
      } finally {
        model.close();
      }
    }
    // bf16 rounding of every GEMM input moves the logits by far more than fp32 reordering could.
    expect(
      relativeError(logits.get('bf16') as Float32Array, logits.get('fp32') as Float32Array),
    ).toBeGreaterThan(1e-4);
  });
});

describe('cpuPrecision option', () => {
  it('is refused when not fp32 or bf16, or with device cuda', async () => {
    const dir = goldenPath('models', 'tiny');
    await expect(EngineModel.load(dir, { cpuPrecision: 'fp16' as 'fp32' })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(EngineModel.load(dir, { device: 'cuda', cpuPrecision: 'fp32' })).rejects.toThrow(
      /cpuPrecision applies to device 'cpu' only/,
    );
  });
});
