// The portable passes: plain loops (the compiler may vectorise them for the baseline ISA).
#include "image/resample_scalar.h"

namespace vl2::image::kernels {

void horizontalBandGeneric(const RgbView& src, const Taps& taps, const VectorTaps*, std::uint8_t* out, int y0,
                           int y1) {
  for (int y = y0; y < y1; ++y) horizontalPixelsScalar(src, taps, out, y, 0, taps.outSize);
}

void verticalBandGeneric(const RgbView& src, const Taps& taps, std::uint8_t* out, int y0, int y1) {
  for (int y = y0; y < y1; ++y)
    verticalBytesScalar(src, taps, out, y, 0, static_cast<std::size_t>(src.width) * 3);
}

}  // namespace vl2::image::kernels
