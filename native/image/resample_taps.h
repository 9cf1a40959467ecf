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

// The same weights over windows of exactly `width` inputs (width >= maxTaps, width <= inSize): the
// window start moves left where the true window would run past the input's end, and the weights move
// with it (zeros fill the rest). Lets a vector kernel read a fixed number of inputs per output.
struct AlignedTaps {
  int width = 0;
  std::vector<std::int32_t> first;    // [outSize]
  std::vector<std::int32_t> weights;  // [outSize][width]
};

AlignedTaps alignTaps(const Taps& taps, int inSize, int width);

}  // namespace vl2::image
