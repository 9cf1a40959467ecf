// The downsample MLP projector (SPEC section 4): a tile's [27*27, C] SigLIP
// features -> [14*14, E] language-model embeddings.
#pragma once

#include <vector>

#include "backend/cpu/model/linear.h"
#include "core/model_config.h"

namespace vl2 {

class Projector {
 public:
  Projector(const WeightStore& store, const ModelConfig& config);
  int side() const { return side_; }  // 14: features per tile row and column
  // features: [gridSide^2, C]; out: [side^2, E].
  void project(ThreadPool& pool, const float* features, float* out) const;

 private:
  int grid_;   // 27
  int side_;   // 14
  int ratio_;  // 2
  int channels_;
  Linear first_, second_;
};

}  // namespace vl2
