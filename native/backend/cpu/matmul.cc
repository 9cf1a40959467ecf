#include "backend/cpu/matmul.h"

#include <cstdlib>
#include <string_view>
#include <vector>

namespace vl2::cpu {

namespace {
// VL2_CPU_KERNELS=portable forces the generic kernels, so the fallback is tested on AVX2 machines.
bool portableRequested() {
  const char* value = std::getenv("VL2_CPU_KERNELS");
  return value != nullptr && std::string_view(value) == "portable";
}
}  // namespace

bool cpuHasAvx2() {
#if defined(VL2_X86_DISPATCH)
  static const bool has =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !portableRequested();
  return has;
#else
  return false;
#endif
}

namespace {

template <typename Weight>
void matmul(ThreadPool& pool, const float* x, std::int64_t M, std::int64_t K, const Weight* w, std::int64_t N,
            const float* bias, float* y, bool accumulate) {
  if (M <= 0 || N <= 0) return;
#if defined(VL2_X86_DISPATCH)
  kernels::MatmulRange<Weight> kernel =
      cpuHasAvx2() ? kernels::matmulRangeAvx2<Weight> : kernels::matmulRangeGeneric<Weight>;
#else
  kernels::MatmulRange<Weight> kernel = kernels::matmulRangeGeneric<Weight>;
#endif
  pool.parallelFor(N, kMatmulRowsPerTask, [&](std::int64_t n0, std::int64_t n1) {
    thread_local std::vector<float> scratch;
    if (scratch.size() < static_cast<std::size_t>(kMatmulRowsPerTask * K))
      scratch.resize(kMatmulRowsPerTask * K);
    for (std::int64_t start = n0; start < n1; start += kMatmulRowsPerTask) {
      std::int64_t end = start + kMatmulRowsPerTask < n1 ? start + kMatmulRowsPerTask : n1;
      kernel(x, M, K, w, start, end, N, bias, y, accumulate, scratch.data());
    }
  });
}

}  // namespace

void matmulBf16(ThreadPool& pool, const float* x, std::int64_t M, std::int64_t K, const std::uint16_t* w,
                std::int64_t N, const float* bias, float* y, bool accumulate) {
  matmul(pool, x, M, K, w, N, bias, y, accumulate);
}

void matmulF32(ThreadPool& pool, const float* x, std::int64_t M, std::int64_t K, const float* w,
               std::int64_t N, float* y) {
  matmul(pool, x, M, K, w, N, nullptr, y, false);
}

}  // namespace vl2::cpu
