#include "core/model_config.h"

namespace vl2 {

std::int64_t imageTokenCount(const ModelConfig& config, int tilesAcross, int tilesDown) {
  // 27x27 patches padded to 28x28, then 2x2 groups: 14 features per tile side.
  const std::int64_t side =
      (config.vision.gridSide() + config.projector.downsampleRatio - 1) / config.projector.downsampleRatio;
  const std::int64_t global = side * (side + 1);
  const std::int64_t local = side * tilesDown * (side * tilesAcross + 1);
  return global + 1 + local;
}

}  // namespace vl2
