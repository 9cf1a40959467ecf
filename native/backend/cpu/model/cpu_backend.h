// The CPU backend: fp32 activations on bf16 weights used in place from the mapped
// checkpoint, the reference for every other backend (in the fp32 precision; the
// bf16 one rounds each GEMM's input to bf16, see backend/cpu/precision.h).
#pragma once

#include <memory>

#include "backend/backend.h"
#include "backend/cpu/host_kv_cache.h"
#include "backend/cpu/model/language_model.h"
#include "backend/cpu/model/projector.h"
#include "backend/cpu/model/vision_tower.h"
#include "backend/cpu/precision.h"
#include "core/thread_pool.h"

namespace vl2 {

class CpuBackend : public ModelBackend {
 public:
  CpuBackend(const WeightStore& store, const ModelConfig& config, int threads, cpu::CpuPrecision precision);
  const char* name() const override { return "cpu"; }
  void createCache(std::int64_t blocks) override;
  std::int64_t cacheBytesPerToken() const override;
  std::int64_t cacheBlocksFor(double) const override { return 0; }
  void encodeTiles(const std::uint8_t* tiles, std::int64_t count, float* out,
                   TileCaptures* firstTile) override;
  std::vector<float> forward(const StepBatch& batch, const float* x, StepCaptures* captures) override;
  BackendMemory memory() const override;

 private:
  ModelConfig config_;
  cpu::CpuPrecision precision_;
  ThreadPool pool_;
  VisionTower vision_;
  Projector projector_;
  LanguageModel language_;
  std::unique_ptr<HostKvCache> cache_;
  std::uint64_t cacheBytes_ = 0;
};

}  // namespace vl2
