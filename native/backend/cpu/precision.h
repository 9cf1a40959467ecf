// How the CPU backend's bf16-weight GEMMs compute: the cpuPrecision load option.
#pragma once

#include "backend/cpu_precision.h"

namespace vl2::cpu {

using ::vl2::CpuPrecision;
using ::vl2::cpuPrecisionName;

// Sets the calling thread's precision for matmulBf16 while in scope. The
// backend sets it around each step: every matmul is issued by the thread that
// drives the step (parallelFor is not reentrant, so none runs inside a pool
// task), so one scope covers every layer without a flag through each of them.
class CpuPrecisionScope {
 public:
  explicit CpuPrecisionScope(CpuPrecision precision);
  ~CpuPrecisionScope();
  CpuPrecisionScope(const CpuPrecisionScope&) = delete;
  CpuPrecisionScope& operator=(const CpuPrecisionScope&) = delete;

 private:
  CpuPrecision previous_;
};

// The calling thread's precision: kFp32 outside any scope, so callers outside a
// step (tests, benches) keep the exact arithmetic unless they ask.
CpuPrecision currentCpuPrecision();

// Whether this CPU runs the AVX-512 BF16 kernels (decided once; environment
// VL2_CPU_KERNELS=portable says no, as it does for AVX2).
bool cpuHasAvx512Bf16();
// kBf16 where the CPU has AVX-512 BF16 and environment VL2_CPU_PRECISION is not
// "fp32", else kFp32 (the cpuPrecision default; decided once).
CpuPrecision defaultCpuPrecision();
// The GEMM kernels a precision runs here: "avx512-bf16", "avx2" or "portable".
const char* cpuKernelsName(CpuPrecision precision);

}  // namespace vl2::cpu
