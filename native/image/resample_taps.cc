// Compiled with -ffp-contract=off (CMakeLists.txt): a fused multiply-add would round the weights
// differently from JavaScript's doubles and move output bytes.
#include "image/resample_taps.h"

#include <algorithm>
#include <cmath>

namespace vl2::image {
namespace {

// PIL's bicubic kernel (a = -0.5), support 2.
double bicubic(double x) {
  const double a = -0.5;
  const double t = std::fabs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

}  // namespace

Taps computeTaps(int inSize, int outSize) {
  Taps taps;
  taps.outSize = outSize;
  if (outSize <= 0) return taps;
  const double scale = static_cast<double>(inSize) / outSize;
  const double filterScale = std::max(scale, 1.0);
  const double support = 2 * filterScale;
  const double inverse = 1 / filterScale;
  taps.maxTaps = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.assign(outSize, 0);
  taps.count.assign(outSize, 0);
  taps.weights.assign(static_cast<std::size_t>(outSize) * taps.maxTaps, 0);
  std::vector<double> real(taps.maxTaps);
  const double unit = static_cast<double>(1 << kPrecisionBits);
  for (int x = 0; x < outSize; ++x) {
    const double center = (x + 0.5) * scale;
    const int lo = std::max(static_cast<int>(std::trunc(center - support + 0.5)), 0);
    const int n = std::min(static_cast<int>(std::trunc(center + support + 0.5)), inSize) - lo;
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      const double w = bicubic((i + lo - center + 0.5) * inverse);
      real[i] = w;
      sum += w;
    }
    for (int i = 0; i < n; ++i) {
      const double w = sum == 0 ? real[i] : real[i] / sum;
      taps.weights[static_cast<std::size_t>(x) * taps.maxTaps + i] =
          static_cast<std::int32_t>(std::trunc(w < 0 ? w * unit - 0.5 : w * unit + 0.5));
    }
    taps.first[x] = lo;
    taps.count[x] = n;
  }
  return taps;
}

VectorTaps vectorTaps(const Taps& taps, int inSize, int width) {
  const int groups = width / kVectorTapsPerGroup;
  const std::size_t perOutput = static_cast<std::size_t>(groups) * kVectorGroupLanes;
  VectorTaps vector;
  vector.width = width;
  vector.first.assign(taps.outSize, 0);
  vector.high.assign(taps.outSize * perOutput, 0);
  vector.low.assign(taps.outSize * perOutput, 0);
  for (int x = 0; x < taps.outSize; ++x) {
    const int start = std::min(taps.first[x], inSize - width);
    const int shift = taps.first[x] - start;
    vector.first[x] = start;
    for (int k = 0; k < taps.count[x]; ++k) {
      const std::int32_t w = taps.weights[static_cast<std::size_t>(x) * taps.maxTaps + k];
      const int tap = shift + k;  // within the window
      const int group = tap / kVectorTapsPerGroup;
      const int lane = (tap % kVectorTapsPerGroup) / 2;
      const int pair = tap % 2;
      const std::size_t at =
          x * perOutput + static_cast<std::size_t>(group) * kVectorGroupLanes + lane * 8 + pair;
      for (int channel = 0; channel < 3; ++channel) {
        vector.high[at + channel * 2] = static_cast<std::int16_t>(w >> kWeightSplitBits);
        vector.low[at + channel * 2] = static_cast<std::int16_t>(w & ((1 << kWeightSplitBits) - 1));
      }
    }
  }
  return vector;
}

}  // namespace vl2::image
