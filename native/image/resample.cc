#include "image/resample.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace vl2::image {
namespace {

// Multiply-adds per chunk of rows: enough (~1 ms) that handing chunks between threads costs little,
// few enough that a large image splits across every thread.
constexpr std::int64_t kMacsPerChunk = 2'000'000;

std::int64_t rowsPerChunk(std::int64_t macsPerRow) {
  return std::max<std::int64_t>(2, kMacsPerChunk / std::max<std::int64_t>(1, macsPerRow));
}

}  // namespace

bool resampleUsesAvx2() {
#if defined(VL2_X86_DISPATCH)
  static const bool use = [] {
    const char* value = std::getenv("VL2_CPU_KERNELS");
    const bool portable = value != nullptr && std::string_view(value) == "portable";
    return __builtin_cpu_supports("avx2") && !portable;
  }();
  return use;
#else
  return false;
#endif
}

RgbImage resizeBicubic(ImagePool& pool, const RgbView& src, int width, int height) {
  const bool avx2 = resampleUsesAvx2();
  RgbImage horizontal;
  RgbView current = src;
  if (width != src.width) {
    const Taps taps = computeTaps(src.width, width);
    const int window = (taps.maxTaps + kVectorTapsPerGroup - 1) / kVectorTapsPerGroup * kVectorTapsPerGroup;
    VectorTaps vector;
    if (avx2 && window > 0 && window <= src.width) vector = vectorTaps(taps, src.width, window);
    const VectorTaps* vectorTapsOrNull = vector.width > 0 ? &vector : nullptr;
    horizontal.width = width;
    horizontal.height = src.height;
    horizontal.data = newPixels(static_cast<std::size_t>(width) * src.height * 3);
    const kernels::HorizontalBand band = avx2 ? kernels::horizontalBandAvx2 : kernels::horizontalBandGeneric;
    pool.parallelFor(src.height, rowsPerChunk(static_cast<std::int64_t>(width) * 3 * taps.maxTaps),
                     [&](std::int64_t y0, std::int64_t y1) {
                       band(src, taps, vectorTapsOrNull, horizontal.data.get(), static_cast<int>(y0),
                            static_cast<int>(y1));
                     });
    current = horizontal.view();
  }
  if (height == current.height) {
    if (current.data == src.data) {
      RgbImage copy;
      copy.width = src.width;
      copy.height = src.height;
      const std::size_t bytes = static_cast<std::size_t>(src.width) * src.height * 3;
      copy.data = newPixels(bytes);
      std::copy(src.data, src.data + bytes, copy.data.get());
      return copy;
    }
    return horizontal;
  }
  const Taps taps = computeTaps(current.height, height);
  RgbImage out;
  out.width = current.width;
  out.height = height;
  out.data = newPixels(static_cast<std::size_t>(current.width) * height * 3);
  const kernels::VerticalBand band = avx2 ? kernels::verticalBandAvx2 : kernels::verticalBandGeneric;
  pool.parallelFor(height, rowsPerChunk(static_cast<std::int64_t>(current.width) * 3 * taps.maxTaps),
                   [&](std::int64_t y0, std::int64_t y1) {
                     band(current, taps, out.data.get(), static_cast<int>(y0), static_cast<int>(y1));
                   });
  return out;
}

}  // namespace vl2::image
