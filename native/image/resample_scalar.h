// The scalar loops of both passes, shared by the generic kernels and the AVX2 kernels' edges. Internal
// linkage on purpose: each kernel file gets its own copy compiled with its own flags, so the linker
// never hands an AVX2-compiled copy to a machine without AVX2.
#pragma once

#include <cstdint>

#include "image/resample_kernels.h"

namespace vl2::image::kernels {
namespace {

// A fixed-point sum back to 8 bits, as PIL's clip8 (arithmetic shift: negative sums clip to 0).
inline std::uint8_t clip8(std::int32_t sum) {
  const std::int32_t v = sum >> kPrecisionBits;
  return static_cast<std::uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Output pixels [x0, x1) of row y.
inline void horizontalPixelsScalar(const RgbView& src, const Taps& taps, std::uint8_t* out, int y, int x0,
                                   int x1) {
  const std::uint8_t* row = src.data + static_cast<std::size_t>(y) * src.width * 3;
  std::uint8_t* o = out + (static_cast<std::size_t>(y) * taps.outSize + x0) * 3;
  for (int x = x0; x < x1; ++x) {
    std::int32_t r = kRoundingHalf, g = kRoundingHalf, b = kRoundingHalf;
    const std::int32_t* w = taps.weights.data() + static_cast<std::size_t>(x) * taps.maxTaps;
    const std::uint8_t* p = row + static_cast<std::size_t>(taps.first[x]) * 3;
    for (int k = 0; k < taps.count[x]; ++k, p += 3) {
      r += p[0] * w[k];
      g += p[1] * w[k];
      b += p[2] * w[k];
    }
    *o++ = clip8(r);
    *o++ = clip8(g);
    *o++ = clip8(b);
  }
}

// Bytes [i0, i1) of output row y.
inline void verticalBytesScalar(const RgbView& src, const Taps& taps, std::uint8_t* out, int y,
                                std::size_t i0, std::size_t i1) {
  const std::size_t stride = static_cast<std::size_t>(src.width) * 3;
  const std::int32_t* w = taps.weights.data() + static_cast<std::size_t>(y) * taps.maxTaps;
  const std::uint8_t* rows = src.data + static_cast<std::size_t>(taps.first[y]) * stride;
  std::uint8_t* o = out + static_cast<std::size_t>(y) * stride;
  for (std::size_t i = i0; i < i1; ++i) {
    std::int32_t sum = kRoundingHalf;
    for (int k = 0; k < taps.count[y]; ++k) sum += rows[k * stride + i] * w[k];
    o[i] = clip8(sum);
  }
}

}  // namespace
}  // namespace vl2::image::kernels
