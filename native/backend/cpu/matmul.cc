#include "backend/cpu/matmul.h"

#include <algorithm>
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

bool cpuHasAvx512Bf16() {
#if defined(VL2_X86_DISPATCH)
  static const bool has = __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512f") &&
                          __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                          !portableRequested();
  return has;
#else
  return false;
#endif
}

namespace {

// x rows per rounding task: enough work per task to amortise the hand-off.
constexpr std::int64_t kRoundRowsPerTask = 16;
// Below this many values of x, rounding on the calling thread beats waking the
// pool (tens of microseconds in a VM): the prompt's MoE experts see ~50 rows each,
// three GEMMs per expert.
constexpr std::int64_t kRoundInlineValues = std::int64_t{1} << 18;

// rows [0, rows) of src [rows, K] rounded to bf16 into dst (row stride dstStride): on the calling
// thread when small, else over the pool.
void roundToBf16(ThreadPool& pool, const float* src, std::int64_t rows, std::int64_t K, std::uint16_t* dst,
                 std::int64_t dstStride) {
  if (rows * K <= kRoundInlineValues) {
    kernels::roundRowsToBf16(src, 0, rows, K, dst, dstStride);
    return;
  }
  pool.parallelFor(rows, kRoundRowsPerTask, [&](std::int64_t r0, std::int64_t r1) {
    kernels::roundRowsToBf16(src, r0, r1, K, dst, dstStride);
  });
}

// The bf16 mode: x rounded once (in parallel when large), then every task's weight rows
// against it. Only called where cpuHasAvx512Bf16().
void matmulBf16Rounded(ThreadPool& pool, const float* x, std::int64_t M, std::int64_t K,
                       const std::uint16_t* w, std::int64_t N, const float* bias, float* y, bool accumulate) {
  const std::int64_t stride = kernels::bf16RowStride(K);
  thread_local std::vector<std::uint16_t> rounded;
  rounded.resize(static_cast<std::size_t>(kernels::bf16PaddedRows(M) * stride));
  std::fill(rounded.begin() + M * stride, rounded.end(), std::uint16_t{0});
  std::uint16_t* xBf16 = rounded.data();
  roundToBf16(pool, x, M, K, xBf16, stride);
  // Split in whole panels: the kernel computes 64 weight rows per panel whatever
  // it stores, and the pool's chunks of N (N / 8 on two threads: 144 of 1152)
  // left a third of a panel's work unused at each chunk's end.
  const std::int64_t panels = (N + kMatmulRowsPerTask - 1) / kMatmulRowsPerTask;
  pool.parallelFor(panels, 1, [&](std::int64_t p0, std::int64_t p1) {
    thread_local std::vector<std::uint16_t> panel;
    if (panel.size() < static_cast<std::size_t>(kMatmulRowsPerTask * stride))
      panel.resize(kMatmulRowsPerTask * stride);
    const std::int64_t n1 = p1 * kMatmulRowsPerTask < N ? p1 * kMatmulRowsPerTask : N;
    kernels::matmulRangeAvx512Bf16(xBf16, M, K, w, p0 * kMatmulRowsPerTask, n1, N, bias, y, accumulate,
                                   panel.data());
  });
}

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
  if (currentCpuPrecision() == CpuPrecision::kBf16 && cpuHasAvx512Bf16()) {
    if (M > 0 && N > 0) matmulBf16Rounded(pool, x, M, K, w, N, bias, y, accumulate);
    return;
  }
  matmul(pool, x, M, K, w, N, bias, y, accumulate);
}

void matmulF32(ThreadPool& pool, const float* x, std::int64_t M, std::int64_t K, const float* w,
               std::int64_t N, float* y) {
  if (currentCpuPrecision() == CpuPrecision::kBf16 && cpuHasAvx512Bf16()) {
    if (M <= 0 || N <= 0) return;
    // w's rows keep their stride K: the kernel reads them as stored weights.
    thread_local std::vector<std::uint16_t> wBf16;
    wBf16.resize(static_cast<std::size_t>(N * K));
    std::uint16_t* rounded = wBf16.data();
    roundToBf16(pool, w, N, K, rounded, K);
    matmulBf16Rounded(pool, x, M, K, rounded, N, nullptr, y, false);
    return;
  }
  matmul(pool, x, M, K, w, N, nullptr, y, false);
}

}  // namespace vl2::cpu
