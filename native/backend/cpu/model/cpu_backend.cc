#include "backend/cpu/model/cpu_backend.h"

#include "core/errors.h"

namespace vl2 {

CpuBackend::CpuBackend(const WeightStore& store, const ModelConfig& config, int threads,
                       cpu::CpuPrecision precision)
    : config_(config),
      precision_(precision),
      pool_(threads),
      vision_(store, config.vision),
      projector_(store, config),
      language_(store, config.language) {}

void CpuBackend::createCache(std::int64_t blocks) {
  try {
    cache_.reset();
    cache_ =
        std::make_unique<HostKvCache>(config_.language.numLayers, config_.language.kvCacheWidth(), blocks);
    cacheBytes_ = static_cast<std::uint64_t>(blocks * kKvBlockTokens * cacheBytesPerToken());
  } catch (const std::bad_alloc&) {
    fail(ErrorCode::kOutOfMemory, "cannot allocate a KV cache of " + std::to_string(blocks * kKvBlockTokens) +
                                      " tokens; ask for fewer cacheTokens");
  }
}

void CpuBackend::encodeTiles(const std::uint8_t* tiles, std::int64_t count, float* out,
                             TileCaptures* firstTile) {
  const std::int64_t tileBytes =
      static_cast<std::int64_t>(config_.vision.imageSize) * config_.vision.imageSize * 3;
  const std::int64_t features =
      static_cast<std::int64_t>(projector_.side()) * projector_.side() * config_.language.hiddenSize;
  std::vector<float> visionOut(static_cast<std::size_t>(config_.vision.patches() * config_.vision.width));
  cpu::CpuPrecisionScope precision(precision_);
  for (std::int64_t t = 0; t < count; ++t) {
    vision_.encodeTile(pool_, tiles + t * tileBytes, visionOut.data());
    float* projected = out + t * features;
    projector_.project(pool_, visionOut.data(), projected);
    if (firstTile && firstTile->wanted && t == 0) {
      firstTile->vision0 = visionOut;
      firstTile->projector0.assign(projected, projected + features);
    }
  }
}

std::int64_t CpuBackend::cacheBytesPerToken() const {
  return static_cast<std::int64_t>(config_.language.numLayers) * config_.language.kvCacheWidth() *
         sizeof(float);
}

std::vector<float> CpuBackend::forward(const StepBatch& batch, const float* x, StepCaptures* captures) {
  // The decoder overwrites its input with the residual stream.
  std::vector<float> residual(x, x + batch.rows() * config_.language.hiddenSize);
  cpu::CpuPrecisionScope precision(precision_);
  return language_.forward(pool_, *cache_, batch, residual.data(), captures);
}

BackendMemory CpuBackend::memory() const {
  BackendMemory memory;
  memory.device = "cpu";
  memory.cacheBytes = cacheBytes_;
  return memory;
}

}  // namespace vl2
