#include "backend/cpu/precision.h"

#include <cstdlib>
#include <string_view>

#include "backend/cpu/matmul.h"

namespace vl2::cpu {

namespace {
thread_local CpuPrecision current = CpuPrecision::kFp32;
}  // namespace

CpuPrecisionScope::CpuPrecisionScope(CpuPrecision precision) : previous_(current) { current = precision; }

CpuPrecisionScope::~CpuPrecisionScope() { current = previous_; }

CpuPrecision currentCpuPrecision() { return current; }

CpuPrecision defaultCpuPrecision() {
  // VL2_CPU_PRECISION=fp32 keeps the exact arithmetic for every model loaded
  // without the option (the test suite's fp32 golden checks set it).
  static const CpuPrecision precision = [] {
    const char* value = std::getenv("VL2_CPU_PRECISION");
    const bool fp32Requested = value != nullptr && std::string_view(value) == "fp32";
    return cpuHasAvx512Bf16() && !fp32Requested ? CpuPrecision::kBf16 : CpuPrecision::kFp32;
  }();
  return precision;
}

const char* cpuKernelsName(CpuPrecision precision) {
  if (precision == CpuPrecision::kBf16 && cpuHasAvx512Bf16()) return "avx512-bf16";
  return cpuHasAvx2() ? "avx2" : "portable";
}

}  // namespace vl2::cpu
