#include "backend/cpu/model/projector.h"

#include "backend/cpu/elementwise.h"

namespace vl2 {

Projector::Projector(const WeightStore& store, const ModelConfig& config)
    : grid_(config.vision.gridSide()),
      ratio_(config.projector.downsampleRatio),
      channels_(config.vision.width) {
  side_ = (grid_ + ratio_ - 1) / ratio_;
  const std::int64_t grouped = static_cast<std::int64_t>(channels_) * ratio_ * ratio_;
  const std::int64_t embed = config.projector.embedDim;
  first_ = Linear::load(store, "projector.layers.0", embed, grouped, true);
  second_ = Linear::load(store, "projector.layers.2", embed, embed, true);
}

void Projector::project(ThreadPool& pool, const float* features, float* out) const {
  const std::int64_t groups = static_cast<std::int64_t>(side_) * side_;
  const std::int64_t grouped = static_cast<std::int64_t>(channels_) * ratio_ * ratio_;
  // Pad the 27x27 grid to 28x28 with zeros (bottom, right) and gather each 2x2
  // neighbourhood channel-major: channel c's four values sit at 4c..4c+3 in the
  // order (0,0), (0,1), (1,0), (1,1), as F.unfold lays them out.
  std::vector<float> gathered(static_cast<std::size_t>(groups * grouped), 0.0f);
  for (int gy = 0; gy < side_; ++gy) {
    for (int gx = 0; gx < side_; ++gx) {
      float* dst = gathered.data() + (gy * side_ + gx) * grouped;
      for (int dy = 0; dy < ratio_; ++dy) {
        for (int dx = 0; dx < ratio_; ++dx) {
          const int y = gy * ratio_ + dy, x = gx * ratio_ + dx;
          if (y >= grid_ || x >= grid_) continue;
          const float* src = features + static_cast<std::int64_t>(y * grid_ + x) * channels_;
          const int slot = dy * ratio_ + dx;
          for (int c = 0; c < channels_; ++c) dst[c * ratio_ * ratio_ + slot] = src[c];
        }
      }
    }
  }
  std::vector<float> hidden(static_cast<std::size_t>(groups * first_.outFeatures));
  first_.apply(pool, gathered.data(), groups, hidden.data());
  cpu::geluErf(hidden.data(), static_cast<std::int64_t>(hidden.size()));
  second_.apply(pool, hidden.data(), groups, out);
}

}  // namespace vl2
