#include "backend/cpu/rope.h"

#include <cmath>
#include <vector>

namespace vl2::cpu {
namespace {

// cos/sin of position * theta^(-2i/dim) for the dim/2 pairs, computed in double
// like the reference's float64 tables before the product is rounded to fp32.
void angles(std::int32_t position, int dim, double theta, std::vector<float>& cosines,
            std::vector<float>& sines) {
  const int pairs = dim / 2;
  cosines.resize(pairs);
  sines.resize(pairs);
  for (int i = 0; i < pairs; ++i) {
    const float inverse = static_cast<float>(std::pow(theta, -2.0 * i / dim));
    const float angle = static_cast<float>(position) * inverse;
    cosines[i] = std::cos(angle);
    sines[i] = std::sin(angle);
  }
}

template <bool kInterleaved>
void rope(float* x, std::int64_t rows, int heads, int dim, std::int64_t rowStride, std::int64_t headStride,
          const std::int32_t* positions, double theta) {
  std::vector<float> cosines, sines;
  const int pairs = dim / 2;
  for (std::int64_t r = 0; r < rows; ++r) {
    angles(positions[r], dim, theta, cosines, sines);
    for (int h = 0; h < heads; ++h) {
      float* v = x + r * rowStride + h * headStride;
      for (int i = 0; i < pairs; ++i) {
        float& a = kInterleaved ? v[2 * i] : v[i];
        float& b = kInterleaved ? v[2 * i + 1] : v[i + pairs];
        const float a0 = a, b0 = b;
        a = a0 * cosines[i] - b0 * sines[i];
        b = b0 * cosines[i] + a0 * sines[i];
      }
    }
  }
}

}  // namespace

void ropeHalf(float* x, std::int64_t rows, int heads, int dim, std::int64_t rowStride,
              std::int64_t headStride, const std::int32_t* positions, double theta) {
  rope<false>(x, rows, heads, dim, rowStride, headStride, positions, theta);
}

void ropeInterleaved(float* x, std::int64_t rows, int heads, int dim, std::int64_t rowStride,
                     std::int64_t headStride, const std::int32_t* positions, double theta) {
  rope<true>(x, rows, heads, dim, rowStride, headStride, positions, theta);
}

}  // namespace vl2::cpu
