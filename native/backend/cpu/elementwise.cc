#include "backend/cpu/elementwise.h"

#include <cmath>

#include "backend/cpu/matmul.h"

namespace vl2::cpu {

namespace {
// Values per parallel task: large enough that scheduling costs vanish.
constexpr std::int64_t kValuesPerTask = 1 << 15;
}  // namespace

namespace kernels {

// GELU(v) = 0.5 v (1 + tanh(u)) = v * sigmoid(2u), u = sqrt(2/pi) (v + 0.044715 v^3).
void geluTanhGeneric(float* x, std::int64_t count) {
  const float k = std::sqrt(2.0f / static_cast<float>(M_PI));
  for (std::int64_t i = 0; i < count; ++i) {
    const float v = x[i];
    x[i] = 0.5f * v * (1.0f + std::tanh(k * (v + 0.044715f * v * v * v)));
  }
}

void siluMulGeneric(const float* gate, const float* up, float* out, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace kernels

void rmsNorm(float* x, std::int64_t rows, std::int64_t width, const float* weight, float eps) {
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = x + r * width;
    double sumSquares = 0;
    for (std::int64_t i = 0; i < width; ++i) sumSquares += static_cast<double>(row[i]) * row[i];
    const float scale = static_cast<float>(1.0 / std::sqrt(sumSquares / static_cast<double>(width) + eps));
    for (std::int64_t i = 0; i < width; ++i) row[i] = row[i] * scale * weight[i];
  }
}

void layerNorm(ThreadPool& pool, const float* x, float* out, std::int64_t rows, std::int64_t width,
               const float* weight, const float* bias, float eps) {
  pool.parallelFor(rows, 16, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const float* row = x + r * width;
      float* dst = out + r * width;
      double mean = 0;
      for (std::int64_t i = 0; i < width; ++i) mean += row[i];
      mean /= static_cast<double>(width);
      double variance = 0;
      for (std::int64_t i = 0; i < width; ++i) variance += (row[i] - mean) * (row[i] - mean);
      variance /= static_cast<double>(width);
      const double inv = 1.0 / std::sqrt(variance + eps);
      for (std::int64_t i = 0; i < width; ++i) {
        dst[i] = static_cast<float>((row[i] - mean) * inv) * weight[i] + bias[i];
      }
    }
  });
}

void geluTanh(ThreadPool& pool, float* x, std::int64_t count) {
#if defined(VL2_X86_DISPATCH)
  const auto kernel = cpuHasAvx2() ? kernels::geluTanhAvx2 : kernels::geluTanhGeneric;
#else
  const auto kernel = kernels::geluTanhGeneric;
#endif
  pool.parallelFor(count, kValuesPerTask, [&](std::int64_t i0, std::int64_t i1) { kernel(x + i0, i1 - i0); });
}

void geluErf(float* x, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i)
    x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * static_cast<float>(M_SQRT1_2)));
}

void siluMul(ThreadPool& pool, const float* gate, const float* up, float* out, std::int64_t count) {
#if defined(VL2_X86_DISPATCH)
  const auto kernel = cpuHasAvx2() ? kernels::siluMulAvx2 : kernels::siluMulGeneric;
#else
  const auto kernel = kernels::siluMulGeneric;
#endif
  pool.parallelFor(count, kValuesPerTask,
                   [&](std::int64_t i0, std::int64_t i1) { kernel(gate + i0, up + i0, out + i0, i1 - i0); });
}

void addInPlace(float* x, const float* y, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) x[i] += y[i];
}

}  // namespace vl2::cpu
