// The CPU backend's arithmetic, chosen at load (the cpuPrecision option). The model layer and the
// bindings name it, so it sits beside the interface; the CPU backend's own view of it, and its
// kernels, are in cpu/precision.h.
#pragma once

namespace vl2 {

// kFp32 multiplies fp32 activations by the widened weights (the exact reference, ~1e-6 from the
// official model); kBf16 rounds the activations to bf16 (nearest even) at each GEMM's input and runs
// vdpbf16ps with fp32 sums: twice the multiply-adds per instruction, the GPU path's rounding.
enum class CpuPrecision { kFp32, kBf16 };

inline const char* cpuPrecisionName(CpuPrecision precision) {
  return precision == CpuPrecision::kBf16 ? "bf16" : "fp32";
}

}  // namespace vl2
