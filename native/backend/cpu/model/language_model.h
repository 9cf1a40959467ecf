// The DeepSeekMoE decoder (SPEC section 6): embeddings, layers of attention and
// feed-forward with pre-RMSNorm, final norm and the lm head.
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/model/attention_block.h"
#include "backend/cpu/model/feed_forward.h"
#include "core/model_config.h"

namespace vl2 {

class LanguageModel {
 public:
  LanguageModel(const WeightStore& store, const LanguageConfig& config);
  const LanguageConfig& config() const { return config_; }

  // x: [rows, hidden] input embeddings (overwritten). Returns the logits of
  // the last row of each segment: [segments, vocab].
  std::vector<float> forward(ThreadPool& pool, HostKvCache& cache, const StepBatch& batch, float* x,
                             StepCaptures* captures) const;

 private:
  struct Layer {
    std::vector<float> inputNorm, postAttentionNorm;
    std::unique_ptr<AttentionBlock> attention;
    std::unique_ptr<GatedMlp> dense;
    std::unique_ptr<MoeBlock> moe;
  };
  LanguageConfig config_;
  std::vector<Layer> layers_;
  std::vector<float> finalNorm_;
  Linear lmHead_;
};

}  // namespace vl2
