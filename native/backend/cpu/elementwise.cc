#include "backend/cpu/elementwise.h"

#include <cmath>

namespace vl2::cpu {

void rmsNorm(float* x, std::int64_t rows, std::int64_t width, const float* weight, float eps) {
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = x + r * width;
    double sumSquares = 0;
    for (std::int64_t i = 0; i < width; ++i) sumSquares += static_cast<double>(row[i]) * row[i];
    const float scale = static_cast<float>(1.0 / std::sqrt(sumSquares / static_cast<double>(width) + eps));
    for (std::int64_t i = 0; i < width; ++i) row[i] = row[i] * scale * weight[i];
  }
}

void layerNorm(const float* x, float* out, std::int64_t rows, std::int64_t width, const float* weight,
               const float* bias, float eps) {
  for (std::int64_t r = 0; r < rows; ++r) {
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
}

void geluTanh(float* x, std::int64_t count) {
  const float k = std::sqrt(2.0f / static_cast<float>(M_PI));
  for (std::int64_t i = 0; i < count; ++i) {
    const float v = x[i];
    x[i] = 0.5f * v * (1.0f + std::tanh(k * (v + 0.044715f * v * v * v)));
  }
}

void geluErf(float* x, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i)
    x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * static_cast<float>(M_SQRT1_2)));
}

void siluMul(const float* gate, const float* up, float* out, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void addInPlace(float* x, const float* y, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) x[i] += y[i];
}

}  // namespace vl2::cpu
