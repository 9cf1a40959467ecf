// AVX2+FMA kernel (compiled with -mavx2 -mfma, called only after cpuHasAvx2()).
// Few rows of x (decode): bf16 weights are widened in registers as they stream
// by, read once. Many rows (prefill, vision): the task's weight rows are widened
// once into scratch (L2-resident) and a 2x4 register tile of dot products runs
// over them, so each loaded x vector feeds four FMAs.
#include <immintrin.h>

#include "backend/cpu/matmul.h"
#include "core/dtype.h"

namespace vl2::cpu::kernels {
namespace {

inline __m256 loadBf16(const std::uint16_t* p) {
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

void directRows(const float* x, std::int64_t M, std::int64_t K, const std::uint16_t* w, std::int64_t n0,
                std::int64_t n1, std::int64_t N, const float* bias, float* y, bool accumulate) {
  const std::int64_t K8 = K & ~std::int64_t{7};
  for (std::int64_t n = n0; n < n1; ++n) {
    const std::uint16_t* wr = w + n * K;
    for (std::int64_t m = 0; m < M; ++m) {
      const float* xr = x + m * K;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      std::int64_t k = 0;
      for (; k + 16 <= K8; k += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(xr + k), loadBf16(wr + k), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(xr + k + 8), loadBf16(wr + k + 8), acc1);
      }
      for (; k < K8; k += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(xr + k), loadBf16(wr + k), acc0);
      float sum = horizontalSum(_mm256_add_ps(acc0, acc1));
      for (; k < K; ++k) sum += xr[k] * bf16ToFloat(wr[k]);
      store(y, N, m, n, sum, bias, accumulate);
    }
  }
}

}  // namespace

void matmulRangeAvx2(const float* x, std::int64_t M, std::int64_t K, const std::uint16_t* w, std::int64_t n0,
                     std::int64_t n1, std::int64_t N, const float* bias, float* y, bool accumulate,
                     float* scratch) {
  if (M <= kDirectMaxRows) {
    directRows(x, M, K, w, n0, n1, N, bias, y, accumulate);
    return;
  }
  const std::int64_t rows = n1 - n0;
  const std::int64_t K8 = K & ~std::int64_t{7};
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::uint16_t* src = w + (n0 + r) * K;
    float* dst = scratch + r * K;
    std::int64_t k = 0;
    for (; k < K8; k += 8) _mm256_storeu_ps(dst + k, loadBf16(src + k));
    for (; k < K; ++k) dst[k] = bf16ToFloat(src[k]);
  }
  std::int64_t m = 0;
  for (; m + 2 <= M; m += 2) {
    const float* x0 = x + m * K;
    const float* x1 = x0 + K;
    std::int64_t r = 0;
    for (; r + 4 <= rows; r += 4) {
      const float* w0 = scratch + r * K;
      const float* w1 = w0 + K;
      const float* w2 = w1 + K;
      const float* w3 = w2 + K;
      __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps(), a02 = _mm256_setzero_ps(),
             a03 = _mm256_setzero_ps(), a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps(),
             a12 = _mm256_setzero_ps(), a13 = _mm256_setzero_ps();
      for (std::int64_t k = 0; k < K8; k += 8) {
        __m256 v0 = _mm256_loadu_ps(x0 + k), v1 = _mm256_loadu_ps(x1 + k);
        __m256 b = _mm256_loadu_ps(w0 + k);
        a00 = _mm256_fmadd_ps(v0, b, a00);
        a10 = _mm256_fmadd_ps(v1, b, a10);
        b = _mm256_loadu_ps(w1 + k);
        a01 = _mm256_fmadd_ps(v0, b, a01);
        a11 = _mm256_fmadd_ps(v1, b, a11);
        b = _mm256_loadu_ps(w2 + k);
        a02 = _mm256_fmadd_ps(v0, b, a02);
        a12 = _mm256_fmadd_ps(v1, b, a12);
        b = _mm256_loadu_ps(w3 + k);
        a03 = _mm256_fmadd_ps(v0, b, a03);
        a13 = _mm256_fmadd_ps(v1, b, a13);
      }
      float s[2][4] = {{horizontalSum(a00), horizontalSum(a01), horizontalSum(a02), horizontalSum(a03)},
                       {horizontalSum(a10), horizontalSum(a11), horizontalSum(a12), horizontalSum(a13)}};
      for (std::int64_t k = K8; k < K; ++k) {
        for (int j = 0; j < 4; ++j) {
          s[0][j] += x0[k] * scratch[(r + j) * K + k];
          s[1][j] += x1[k] * scratch[(r + j) * K + k];
        }
      }
      for (int j = 0; j < 4; ++j) {
        store(y, N, m, n0 + r + j, s[0][j], bias, accumulate);
        store(y, N, m + 1, n0 + r + j, s[1][j], bias, accumulate);
      }
    }
    for (; r < rows; ++r) {
      const float* wr = scratch + r * K;
      for (int i = 0; i < 2; ++i) {
        const float* xr = x0 + i * K;
        __m256 acc = _mm256_setzero_ps();
        for (std::int64_t k = 0; k < K8; k += 8)
          acc = _mm256_fmadd_ps(_mm256_loadu_ps(xr + k), _mm256_loadu_ps(wr + k), acc);
        float sum = horizontalSum(acc);
        for (std::int64_t k = K8; k < K; ++k) sum += xr[k] * wr[k];
        store(y, N, m + i, n0 + r, sum, bias, accumulate);
      }
    }
  }
  for (; m < M; ++m) {
    const float* xr = x + m * K;
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* wr = scratch + r * K;
      __m256 acc = _mm256_setzero_ps();
      for (std::int64_t k = 0; k < K8; k += 8)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(xr + k), _mm256_loadu_ps(wr + k), acc);
      float sum = horizontalSum(acc);
      for (std::int64_t k = K8; k < K; ++k) sum += xr[k] * wr[k];
      store(y, N, m, n0 + r, sum, bias, accumulate);
    }
  }
}

}  // namespace vl2::cpu::kernels
