/** `--cpu-precision fp32|bf16`: the CPU backend's arithmetic (the cpuPrecision load option). */
import type { CpuPrecision } from '../engine/native-types.js';
import { InvalidArgumentError } from '../errors.js';

export const cpuPrecisionHelp =
  "CPU arithmetic: 'bf16' (default where the processor has AVX-512 BF16) or 'fp32' (the exact reference)";

/** The load options `--cpu-precision VALUE` asks for (nothing when it is absent). */
export function cpuPrecisionLoadOptions(value: string | undefined): { cpuPrecision?: CpuPrecision } {
  if (value === undefined) return {};
  if (value !== 'fp32' && value !== 'bf16')
    throw new InvalidArgumentError(`--cpu-precision takes 'fp32' or 'bf16', got '${value}'`);
  return { cpuPrecision: value };
}
