// The two passes of the resize, one implementation per instruction set (resample_generic.cc,
// resample_avx2.cc). Each computes a band of output rows, so a large image splits across threads.
// Sums are int32 as in PIL; a sum is rounded by adding 2^21 first and clipped to 8 bits.
#pragma once

#include <cstdint>

#include "image/resample_taps.h"

namespace vl2::image {

// An 8-bit RGB image, rows top to bottom, pixels interleaved: data [height][width][3].
struct RgbView {
  const std::uint8_t* data;
  int width;
  int height;
};

namespace kernels {

// src [h][w][3] -> rows [y0, y1) of out [h][taps.outSize][3].
using HorizontalBand = void (*)(const RgbView& src, const Taps& taps, const VectorTaps* vector,
                                std::uint8_t* out, int y0, int y1);
// src [h][w][3] -> rows [y0, y1) of out [taps.outSize][w][3].
using VerticalBand = void (*)(const RgbView& src, const Taps& taps, std::uint8_t* out, int y0, int y1);

// `vector` may be null (then every row runs the scalar loop, e.g. an input narrower than the window);
// the generic kernel ignores it.
void horizontalBandGeneric(const RgbView& src, const Taps& taps, const VectorTaps* vector, std::uint8_t* out,
                           int y0, int y1);
void verticalBandGeneric(const RgbView& src, const Taps& taps, std::uint8_t* out, int y0, int y1);
void horizontalBandAvx2(const RgbView& src, const Taps& taps, const VectorTaps* vector, std::uint8_t* out,
                        int y0, int y1);
void verticalBandAvx2(const RgbView& src, const Taps& taps, std::uint8_t* out, int y0, int y1);

}  // namespace kernels
}  // namespace vl2::image
