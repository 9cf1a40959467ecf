// Self-attention of one decoder layer over the paged cache: plain multi-head
// with half-rotation RoPE (Tiny), or Multi-head Latent Attention with absorbed
// weights and interleaved RoPE (Small, Base). SPEC section 6.
#pragma once

#include <string>
#include <vector>

#include "backend/cpu/host_kv_cache.h"
#include "backend/cpu/model/linear.h"
#include "backend/step_batch.h"
#include "core/model_config.h"

namespace vl2 {

class AttentionBlock {
 public:
  AttentionBlock(const WeightStore& store, const std::string& prefix, const LanguageConfig& config);
  // x: [rows, hidden] (already normed); writes this layer's cache entries for the
  // new tokens, then adds the attention output into residual: [rows, hidden].
  void forward(ThreadPool& pool, HostKvCache& cache, int layer, const StepBatch& batch, const float* x,
               float* residual) const;

 private:
  void forwardMultiHead(ThreadPool& pool, HostKvCache& cache, int layer, const StepBatch& batch,
                        const float* x, float* residual) const;
  void forwardLatent(ThreadPool& pool, HostKvCache& cache, int layer, const StepBatch& batch, const float* x,
                     float* residual) const;

  LanguageConfig config_;
  // Plain multi-head.
  Linear q_, k_, v_;
  // MLA.
  Linear qA_, qB_, kvA_;
  std::vector<float> qANorm_, kvANorm_;
  std::vector<std::uint16_t> keyAbsorb_;    // per head W_UK^T: [heads][rank][nope], so q_lat = q_nope W_UK
  const std::uint16_t* valueUp_ = nullptr;  // kv_b_proj: per head rows [nope, nope+v) are W_UV [v][rank]
  float scale_ = 1.0f;
  // Both.
  Linear o_;
};

}  // namespace vl2
