// AVX2+FMA activations (compiled with -mavx2 -mfma, called only after cpuHasAvx2()).
// Both are x * sigmoid(a x-ish), so one vector exp serves them (and the bf16
// precision's softmax); a scalar tail finishes counts that are not a multiple of 8.
#include <immintrin.h>

#include <cmath>

#include "backend/cpu/elementwise.h"

namespace vl2::cpu::kernels {
namespace {

// e^x to about 2 ulp: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so r is
// exact), a degree-6 polynomial for e^r, 2^n added into the exponent bits.
// Inputs are clamped to where fp32 e^x is finite and normal.
inline __m256 expApprox(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 r2 = _mm256_mul_ps(r, r);
  p = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0f));
  const __m256i exponent = _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23);
  return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), exponent));
}

// v / (1 + e^-z): v * sigmoid(z).
inline __m256 timesSigmoid(__m256 v, __m256 z) {
  const __m256 e = expApprox(_mm256_sub_ps(_mm256_setzero_ps(), z));
  return _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

}  // namespace

// 0.5 v (1 + tanh(u)) = v sigmoid(2u), which also avoids 1 + tanh cancelling for v << 0.
void geluTanhAvx2(float* x, std::int64_t count) {
  const __m256 twoK = _mm256_set1_ps(2.0f * 0.7978845608028654f);
  const __m256 cubic = _mm256_set1_ps(0.044715f);
  std::int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 v3 = _mm256_mul_ps(_mm256_mul_ps(v, v), v);
    const __m256 z = _mm256_mul_ps(twoK, _mm256_fmadd_ps(cubic, v3, v));
    _mm256_storeu_ps(x + i, timesSigmoid(v, z));
  }
  geluTanhGeneric(x + i, count - i);
}

double expShiftedAvx2(float* x, std::int64_t count, float shift) {
  const __m256 minus = _mm256_set1_ps(shift);
  __m256 sum = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 e = expApprox(_mm256_sub_ps(_mm256_loadu_ps(x + i), minus));
    _mm256_storeu_ps(x + i, e);
    sum = _mm256_add_ps(sum, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  double total = 0;
  for (float lane : lanes) total += lane;
  for (; i < count; ++i) total += (x[i] = std::exp(x[i] - shift));
  return total;
}

void siluMulAvx2(const float* gate, const float* up, float* out, std::int64_t count) {
  std::int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    _mm256_storeu_ps(out + i, _mm256_mul_ps(timesSigmoid(g, g), _mm256_loadu_ps(up + i)));
  }
  siluMulGeneric(gate + i, up + i, out + i, count - i);
}

}  // namespace vl2::cpu::kernels
