// y = x W^T on the CPU: fp32 activations, bf16 weights used in place (or fp32
// operands, for attention scores), fp32 sums. In the bf16 precision mode the
// bf16-weight GEMMs round x to bf16 at their input instead (AVX-512 BF16).
#pragma once

#include <cstdint>

#include "backend/cpu/precision.h"
#include "core/dtype.h"
#include "core/thread_pool.h"

namespace vl2::cpu {

// x: [M, K] fp32 row-major; w: [N, K] bf16 (a Linear weight as stored);
// bias: [N] fp32 or null; y: [M, N] fp32 (overwritten, or += when accumulate).
// In the calling thread's precision (precision.h).
void matmulBf16(ThreadPool& pool, const float* x, std::int64_t M, std::int64_t K, const std::uint16_t* w,
                std::int64_t N, const float* bias, float* y, bool accumulate = false);
// The same with an fp32 right-hand side w: [N, K] (e.g. attention: Q K^T, P V);
// in the bf16 precision both operands are rounded to bf16.
void matmulF32(ThreadPool& pool, const float* x, std::int64_t M, std::int64_t K, const float* w,
               std::int64_t N, float* y);

// The inner kernels, one per instruction set (matmul_generic.cc, matmul_avx2.cc,
// matmul_avx512_bf16.cc). They compute rows [n0, n1) of y for all M rows of x.
namespace kernels {
// Weight: std::uint16_t (bf16 bits) or float.
template <typename Weight>
using MatmulRange = void (*)(const float* x, std::int64_t M, std::int64_t K, const Weight* w, std::int64_t n0,
                             std::int64_t n1, std::int64_t N, const float* bias, float* y, bool accumulate,
                             float* scratch);
template <typename Weight>
void matmulRangeGeneric(const float* x, std::int64_t M, std::int64_t K, const Weight* w, std::int64_t n0,
                        std::int64_t n1, std::int64_t N, const float* bias, float* y, bool accumulate,
                        float* scratch);
template <typename Weight>
void matmulRangeAvx2(const float* x, std::int64_t M, std::int64_t K, const Weight* w, std::int64_t n0,
                     std::int64_t n1, std::int64_t N, const float* bias, float* y, bool accumulate,
                     float* scratch);

inline float widen(std::uint16_t bf16) { return bf16ToFloat(bf16); }
inline float widen(float value) { return value; }

// The bf16 kernel's x: each row rounded to bf16 and padded to an even length
// (vdpbf16ps takes K in pairs; the pad is zero), the row count padded with zero
// rows to whole register tiles (6 rows, and 4 for mid-sized M) so the last tile
// reads no past-the-end memory.
constexpr std::int64_t kBf16TileRows = 6;
constexpr std::int64_t kBf16PaddedRowMultiple = 12;
static_assert(kBf16PaddedRowMultiple % kBf16TileRows == 0 && kBf16PaddedRowMultiple % 4 == 0,
              "whole tiles of either kernel");
inline std::int64_t bf16RowStride(std::int64_t K) { return (K + 1) & ~std::int64_t{1}; }
inline std::int64_t bf16PaddedRows(std::int64_t M) {
  return (M + kBf16PaddedRowMultiple - 1) / kBf16PaddedRowMultiple * kBf16PaddedRowMultiple;
}
// Rows [m0, m1) of x: [M, K] fp32 into out, rows outStride >= K apart (zeros past K):
// bf16RowStride(K) for the x operand, K for an fp32 right-hand side made bf16 weights.
void roundRowsToBf16(const float* x, std::int64_t m0, std::int64_t m1, std::int64_t K, std::uint16_t* out,
                     std::int64_t outStride);
// x as roundRowsToBf16 left it; w: [N, K] bf16; scratch: kMatmulRowsPerTask * bf16RowStride(K).
void matmulRangeAvx512Bf16(const std::uint16_t* x, std::int64_t M, std::int64_t K, const std::uint16_t* w,
                           std::int64_t n0, std::int64_t n1, std::int64_t N, const float* bias, float* y,
                           bool accumulate, std::uint16_t* scratch);
}  // namespace kernels

// Weight rows per parallel task: 64 rows of K fp32 stay in L2 while every x row
// streams past them.
constexpr std::int64_t kMatmulRowsPerTask = 64;

// Whether this CPU runs the AVX2+FMA kernels (decided once; environment
// VL2_CPU_KERNELS=portable says no).
bool cpuHasAvx2();

}  // namespace vl2::cpu
