// Portable kernel: any CPU. Eight partial sums per dot product keep the
// compiler's vectoriser busy without reassociating a single sum.
#include "backend/cpu/matmul.h"
#include "core/dtype.h"

namespace vl2::cpu::kernels {

template <typename Weight>
void matmulRangeGeneric(const float* x, std::int64_t M, std::int64_t K, const Weight* w, std::int64_t n0,
                        std::int64_t n1, std::int64_t N, const float* bias, float* y, bool accumulate,
                        float* scratch) {
  const std::int64_t rows = n1 - n0;
  for (std::int64_t r = 0; r < rows; ++r) {
    const Weight* src = w + (n0 + r) * K;
    for (std::int64_t k = 0; k < K; ++k) scratch[r * K + k] = widen(src[k]);
  }
  for (std::int64_t m = 0; m < M; ++m) {
    const float* xr = x + m * K;
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* wr = scratch + r * K;
      float partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::int64_t k = 0;
      for (; k + 8 <= K; k += 8) {
        for (int j = 0; j < 8; ++j) partial[j] += xr[k + j] * wr[k + j];
      }
      float sum = ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
                  ((partial[4] + partial[5]) + (partial[6] + partial[7]));
      for (; k < K; ++k) sum += xr[k] * wr[k];
      const std::int64_t n = n0 + r;
      if (bias) sum += bias[n];
      float& out = y[m * N + n];
      out = accumulate ? out + sum : sum;
    }
  }
}

template void matmulRangeGeneric<std::uint16_t>(const float*, std::int64_t, std::int64_t,
                                                const std::uint16_t*, std::int64_t, std::int64_t,
                                                std::int64_t, const float*, float*, bool, float*);
template void matmulRangeGeneric<float>(const float*, std::int64_t, std::int64_t, const float*, std::int64_t,
                                        std::int64_t, std::int64_t, const float*, float*, bool, float*);

}  // namespace vl2::cpu::kernels
