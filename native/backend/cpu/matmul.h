// y = x W^T on the CPU: fp32 activations, bf16 weights used in place (or fp32
// operands, for attention scores), fp32 sums.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/thread_pool.h"

namespace vl2::cpu {

// x: [M, K] fp32 row-major; w: [N, K] bf16 (a Linear weight as stored);
// bias: [N] fp32 or null; y: [M, N] fp32 (overwritten, or += when accumulate).
void matmulBf16(ThreadPool& pool, const float* x, std::int64_t M, std::int64_t K, const std::uint16_t* w,
                std::int64_t N, const float* bias, float* y, bool accumulate = false);
// The same with an fp32 right-hand side w: [N, K] (e.g. attention: Q K^T, P V).
void matmulF32(ThreadPool& pool, const float* x, std::int64_t M, std::int64_t K, const float* w,
               std::int64_t N, float* y);

// The inner kernels, one per instruction set (matmul_generic.cc, matmul_avx2.cc).
// They compute rows [n0, n1) of y for all M rows of x.
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
}  // namespace kernels

// Weight rows per parallel task: 64 rows of K fp32 stay in L2 while every x row
// streams past them.
constexpr std::int64_t kMatmulRowsPerTask = 64;

// Whether this CPU runs the AVX2+FMA kernels (decided once; environment
// VL2_CPU_KERNELS=portable says no).
bool cpuHasAvx2();

}  // namespace vl2::cpu
