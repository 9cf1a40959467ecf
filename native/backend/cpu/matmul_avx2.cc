// AVX2+FMA kernel (compiled with -mavx2 -mfma, called only after cpuHasAvx2()).
// Few rows of x (decode): bf16 weights are widened in registers as they stream
// by, read once. Many rows (prefill, vision): packed panels, see matmulRangeAvx2.
#include <immintrin.h>

#include <vector>

#include "backend/cpu/matmul.h"
#include "core/dtype.h"

namespace vl2::cpu::kernels {
namespace {

inline __m256 loadWide(const float* p) { return _mm256_loadu_ps(p); }

inline __m256 loadWide(const std::uint16_t* p) {
  __m128i half = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(half), 16));
}

inline float horizontalSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  return _mm_cvtss_f32(lo);
}

inline void store(float* y, std::int64_t N, std::int64_t m, std::int64_t n, float sum, const float* bias,
                  bool accumulate) {
  if (bias) sum += bias[n];
  float& out = y[m * N + n];
  out = accumulate ? out + sum : sum;
}

// Rows of x few enough that widening the weights once would cost more than it saves.
constexpr std::int64_t kDirectMaxRows = 4;

template <typename Weight>
void directRows(const float* x, std::int64_t M, std::int64_t K, const Weight* w, std::int64_t n0,
                std::int64_t n1, std::int64_t N, const float* bias, float* y, bool accumulate) {
  const std::int64_t K8 = K & ~std::int64_t{7};
  for (std::int64_t n = n0; n < n1; ++n) {
    const Weight* wr = w + n * K;
    for (std::int64_t m = 0; m < M; ++m) {
      const float* xr = x + m * K;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      std::int64_t k = 0;
      for (; k + 16 <= K8; k += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(xr + k), loadWide(wr + k), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(xr + k + 8), loadWide(wr + k + 8), acc1);
      }
      for (; k < K8; k += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(xr + k), loadWide(wr + k), acc0);
      float sum = horizontalSum(_mm256_add_ps(acc0, acc1));
      for (; k < K; ++k) sum += xr[k] * widen(wr[k]);
      store(y, N, m, n, sum, bias, accumulate);
    }
  }
}

// Columns of y per packed panel: two 8-wide vectors.
constexpr std::int64_t kPanelColumns = 16;
// Rows of x per register tile: 6 x 2 accumulators + 2 panel vectors + 1 broadcast fit the 16 ymm registers.
constexpr int kTileRows = 6;

// y rows [m, m + rows) x panel columns [0, valid) from x rows at x (row stride K).
// Twelve named accumulators: an array of __m256 here makes GCC spill every FMA
// result to the stack.
void panelTile(const float* x, std::int64_t K, const float* panel, std::int64_t n, std::int64_t valid,
               int rows, std::int64_t N, const float* bias, float* y, bool accumulate) {
  __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
         a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
  const float* x0 = x;
  const float* x1 = x0 + K;
  const float* x2 = x1 + K;
  const float* x3 = x2 + K;
  const float* x4 = x3 + K;
  const float* x5 = x4 + K;
  for (std::int64_t k = 0; k < K; ++k) {
    const __m256 b0 = _mm256_loadu_ps(panel + k * kPanelColumns);
    const __m256 b1 = _mm256_loadu_ps(panel + k * kPanelColumns + 8);
    __m256 a = _mm256_broadcast_ss(x0 + k);
    a00 = _mm256_fmadd_ps(a, b0, a00);
    a01 = _mm256_fmadd_ps(a, b1, a01);
    a = _mm256_broadcast_ss(x1 + k);
    a10 = _mm256_fmadd_ps(a, b0, a10);
    a11 = _mm256_fmadd_ps(a, b1, a11);
    a = _mm256_broadcast_ss(x2 + k);
    a20 = _mm256_fmadd_ps(a, b0, a20);
    a21 = _mm256_fmadd_ps(a, b1, a21);
    a = _mm256_broadcast_ss(x3 + k);
    a30 = _mm256_fmadd_ps(a, b0, a30);
    a31 = _mm256_fmadd_ps(a, b1, a31);
    a = _mm256_broadcast_ss(x4 + k);
    a40 = _mm256_fmadd_ps(a, b0, a40);
    a41 = _mm256_fmadd_ps(a, b1, a41);
    a = _mm256_broadcast_ss(x5 + k);
    a50 = _mm256_fmadd_ps(a, b0, a50);
    a51 = _mm256_fmadd_ps(a, b1, a51);
  }
  alignas(32) float sums[kTileRows][kPanelColumns];
  const __m256 results[kTileRows][2] = {{a00, a01}, {a10, a11}, {a20, a21},
                                        {a30, a31}, {a40, a41}, {a50, a51}};
  for (int r = 0; r < rows; ++r) {
    _mm256_store_ps(sums[r], results[r][0]);
    _mm256_store_ps(sums[r] + 8, results[r][1]);
    for (std::int64_t j = 0; j < valid; ++j) store(y, N, r, n + j, sums[r][j], bias, accumulate);
  }
}

}  // namespace

// Many rows (prefill, vision): the classic packed-panel GEMM. Sixteen weight
// rows are widened and transposed once into a [K][16] panel (L2-resident); a
// 6x16 register tile then broadcasts x values against it, two FMAs per load.
template <typename Weight>
void matmulRangeAvx2(const float* x, std::int64_t M, std::int64_t K, const Weight* w, std::int64_t n0,
                     std::int64_t n1, std::int64_t N, const float* bias, float* y, bool accumulate,
                     float* scratch) {
  if (M <= kDirectMaxRows) {
    directRows(x, M, K, w, n0, n1, N, bias, y, accumulate);
    return;
  }
  thread_local std::vector<float> tail;
  for (std::int64_t n = n0; n < n1; n += kPanelColumns) {
    const std::int64_t valid = n1 - n < kPanelColumns ? n1 - n : kPanelColumns;
    for (std::int64_t j = 0; j < kPanelColumns; ++j) {
      if (j >= valid) {
        for (std::int64_t k = 0; k < K; ++k) scratch[k * kPanelColumns + j] = 0.0f;
        continue;
      }
      const Weight* src = w + (n + j) * K;
      for (std::int64_t k = 0; k < K; ++k) scratch[k * kPanelColumns + j] = widen(src[k]);
    }
    std::int64_t m = 0;
    for (; m + kTileRows <= M; m += kTileRows) {
      panelTile(x + m * K, K, scratch, n, valid, kTileRows, N, bias, y + m * N, accumulate);
    }
    if (m < M) {
      // The last rows go through the same tile from a zero-padded copy.
      tail.assign(static_cast<std::size_t>(kTileRows * K), 0.0f);
      std::copy(x + m * K, x + M * K, tail.begin());
      panelTile(tail.data(), K, scratch, n, valid, static_cast<int>(M - m), N, bias, y + m * N, accumulate);
    }
  }
}

template void matmulRangeAvx2<std::uint16_t>(const float*, std::int64_t, std::int64_t, const std::uint16_t*,
                                             std::int64_t, std::int64_t, std::int64_t, const float*, float*,
                                             bool, float*);
template void matmulRangeAvx2<float>(const float*, std::int64_t, std::int64_t, const float*, std::int64_t,
                                     std::int64_t, std::int64_t, const float*, float*, bool, float*);

}  // namespace vl2::cpu::kernels
