// The taps of PIL's antialiased bicubic resize along one axis: per output pixel the first input
// pixel and the fixed-point weights (scaled by 2^22 and rounded as PIL does). Computed in double
// exactly as lib/processor/resample.ts does, so every weight (and so every output byte) matches.
#pragma once

#include <cstdint>
#include <vector>

namespace vl2::image {

// Weights are scaled by 2^22: 32 bits minus 8 for the pixel and 2 of headroom (PIL's PRECISION_BITS).
constexpr int kPrecisionBits = 22;
constexpr std::int32_t kRoundingHalf = 1 << (kPrecisionBits - 1);

struct Taps {
  int outSize = 0;
  int maxTaps = 0;                    // the widest window: ceil(support) * 2 + 1
  std::vector<std::int32_t> first;    // [outSize] first input index
  std::vector<std::int32_t> count;    // [outSize] inputs read
  std::vector<std::int32_t> weights;  // [outSize][maxTaps], zero past count
};

Taps computeTaps(int inSize, int outSize);

// The same weights laid out for the AVX2 horizontal kernel (resample_avx2.cc). Each output reads a
// window of exactly `width` inputs (a multiple of 4, maxTaps <= width <= inSize): the window start moves
// left where the true window would run past the input's end, and zero weights fill the rest. pmaddwd
// multiplies int16 pairs, so each weight is split as w = high * 2^15 + low (low in [0, 2^15)); per
// output and group of four taps, 16 int16 of each part in the order the kernel shuffles the pixels:
// [w0 w1 w0 w1 w0 w1 0 0 | w2 w3 w2 w3 w2 w3 0 0] (r, g, b of two taps per 128-bit lane).
constexpr int kVectorTapsPerGroup = 4;
constexpr int kVectorGroupLanes = 16;
constexpr int kWeightSplitBits = 15;

struct VectorTaps {
  int width = 0;
  std::vector<std::int32_t> first;  // [outSize]
  std::vector<std::int16_t> high;   // [outSize][width / 4][16]
  std::vector<std::int16_t> low;    // [outSize][width / 4][16]
};

VectorTaps vectorTaps(const Taps& taps, int inSize, int width);

}  // namespace vl2::image
