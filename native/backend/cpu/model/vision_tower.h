// SigLIP-SO400M (SPEC section 5): uint8 tiles in, [729, width] features per tile out.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/cpu/model/linear.h"
#include "core/model_config.h"

namespace vl2 {

class VisionTower {
 public:
  VisionTower(const WeightStore& store, const VisionConfig& config);

  // tile: [384][384][3] uint8 RGB; out: [patches, width].
  void encodeTile(ThreadPool& pool, const std::uint8_t* tile, float* out) const;

 private:
  struct Block {
    std::vector<float> norm1Weight, norm1Bias, norm2Weight, norm2Bias;
    Linear qkv, proj, fc1, fc2;
  };
  VisionConfig config_;
  Linear patchEmbed_;             // the 14x14 conv as a matmul on [c][ky][kx] patch vectors
  std::vector<float> positions_;  // [patches, width]
  std::vector<Block> blocks_;
  std::vector<float> normWeight_, normBias_;
};

}  // namespace vl2
