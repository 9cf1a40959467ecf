#include "backend/cpu/model/attention_block.h"

#include <cmath>

#include "backend/cpu/attention.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/rope.h"
#include "core/errors.h"

namespace vl2 {

AttentionBlock::AttentionBlock(const WeightStore& store, const std::string& prefix,
                               const LanguageConfig& config)
    : config_(config) {
  const std::int64_t hidden = config.hiddenSize, heads = config.numHeads;
  if (!config.useMla) {
    const std::int64_t width = heads * config.headDim();
    q_ = Linear::load(store, prefix + "q_proj", width, hidden, false);
    k_ = Linear::load(store, prefix + "k_proj", width, hidden, false);
    v_ = Linear::load(store, prefix + "v_proj", width, hidden, false);
    o_ = Linear::load(store, prefix + "o_proj", hidden, width, false);
    scale_ = 1.0f / std::sqrt(static_cast<float>(config.headDim()));
    return;
  }
  const std::int64_t qkDim = config.qkNopeHeadDim + config.qkRopeHeadDim;
  const std::int64_t rank = config.kvLoraRank, nope = config.qkNopeHeadDim, vDim = config.vHeadDim;
  if (config.qLoraRank > 0) {
    qA_ = Linear::load(store, prefix + "q_a_proj", config.qLoraRank, hidden, false);
    qANorm_ = widenToFloat(store.get(prefix + "q_a_layernorm.weight", {config.qLoraRank}));
    qB_ = Linear::load(store, prefix + "q_b_proj", heads * qkDim, config.qLoraRank, false);
  } else {
    q_ = Linear::load(store, prefix + "q_proj", heads * qkDim, hidden, false);
  }
  kvA_ = Linear::load(store, prefix + "kv_a_proj_with_mqa", rank + config.qkRopeHeadDim, hidden, false);
  kvANorm_ = widenToFloat(store.get(prefix + "kv_a_layernorm.weight", {rank}));
  const std::uint16_t* kvB = store.get(prefix + "kv_b_proj.weight", {heads * (nope + vDim), rank}).bf16();
  valueUp_ = kvB;
  // Transposing bf16 values is exact; it lets q_lat = q_nope W_UK run as x W^T.
  keyAbsorb_.resize(static_cast<std::size_t>(heads * rank * nope));
  for (std::int64_t h = 0; h < heads; ++h) {
    for (std::int64_t n = 0; n < nope; ++n) {
      const std::uint16_t* row = kvB + (h * (nope + vDim) + n) * rank;
      for (std::int64_t r = 0; r < rank; ++r) keyAbsorb_[(h * rank + r) * nope + n] = row[r];
    }
  }
  o_ = Linear::load(store, prefix + "o_proj", hidden, heads * vDim, false);
  scale_ = 1.0f / std::sqrt(static_cast<float>(qkDim));
}

void AttentionBlock::forward(ThreadPool& pool, HostKvCache& cache, int layer, const StepBatch& batch,
                             const float* x, float* residual) const {
  if (config_.useMla) {
    forwardLatent(pool, cache, layer, batch, x, residual);
  } else {
    forwardMultiHead(pool, cache, layer, batch, x, residual);
  }
}

void AttentionBlock::forwardMultiHead(ThreadPool& pool, HostKvCache& cache, int layer, const StepBatch& batch,
                                      const float* x, float* residual) const {
  const std::int64_t rows = batch.rows();
  const int heads = config_.numHeads, headDim = config_.headDim();
  const std::int64_t width = static_cast<std::int64_t>(heads) * headDim;
  std::vector<float> q(static_cast<std::size_t>(rows * width)), k(q.size()), v(q.size()), out(q.size());
  q_.apply(pool, x, rows, q.data());
  k_.apply(pool, x, rows, k.data());
  v_.apply(pool, x, rows, v.data());
  cpu::ropeHalf(q.data(), rows, heads, headDim, width, headDim, batch.positions.data(), config_.ropeTheta);
  cpu::ropeHalf(k.data(), rows, heads, headDim, width, headDim, batch.positions.data(), config_.ropeTheta);
  for (const BatchSegment& segment : batch.segments) {
    for (std::int64_t i = 0; i < segment.count; ++i) {
      float* slot = cache.slot(*segment.sequence, layer, segment.start + i);
      const std::int64_t row = segment.firstRow + i;
      std::copy(k.begin() + row * width, k.begin() + (row + 1) * width, slot);
      std::copy(v.begin() + row * width, v.begin() + (row + 1) * width, slot + width);
    }
    cpu::cachedMultiHeadAttention(pool, cache, *segment.sequence, layer, q.data() + segment.firstRow * width,
                                  segment.start, segment.count, heads, headDim, scale_,
                                  out.data() + segment.firstRow * width);
  }
  o_.apply(pool, out.data(), rows, residual, true);
}

void AttentionBlock::forwardLatent(ThreadPool& pool, HostKvCache& cache, int layer, const StepBatch& batch,
                                   const float* x, float* residual) const {
  const std::int64_t rows = batch.rows();
  const int heads = config_.numHeads, rank = config_.kvLoraRank, ropeDim = config_.qkRopeHeadDim;
  const int nope = config_.qkNopeHeadDim, vDim = config_.vHeadDim;
  const std::int64_t qkDim = nope + ropeDim;

  std::vector<float> q(static_cast<std::size_t>(rows * heads * qkDim));
  if (config_.qLoraRank > 0) {
    std::vector<float> compressed(static_cast<std::size_t>(rows * config_.qLoraRank));
    qA_.apply(pool, x, rows, compressed.data());
    cpu::rmsNorm(compressed.data(), rows, config_.qLoraRank, qANorm_.data(), config_.rmsNormEps);
    qB_.apply(pool, compressed.data(), rows, q.data());
  } else {
    q_.apply(pool, x, rows, q.data());
  }
  const std::int64_t slotWidth = rank + ropeDim;
  std::vector<float> kv(static_cast<std::size_t>(rows * slotWidth));
  kvA_.apply(pool, x, rows, kv.data());
  // Each row is the latent, then the rope key; only the latent is normed.
  for (std::int64_t r = 0; r < rows; ++r) {
    cpu::rmsNorm(kv.data() + r * slotWidth, 1, rank, kvANorm_.data(), config_.rmsNormEps);
  }
  cpu::ropeInterleaved(kv.data() + rank, rows, 1, ropeDim, slotWidth, 0, batch.positions.data(),
                       config_.ropeTheta);
  cpu::ropeInterleaved(q.data() + nope, rows, heads, ropeDim, heads * qkDim, qkDim, batch.positions.data(),
                       config_.ropeTheta);

  // Absorb W_UK into the query, per head: q_lat[h] = q_nope[h] W_UK[h].
  std::vector<float> qLatent(static_cast<std::size_t>(rows * heads * rank));
  std::vector<float> qRope(static_cast<std::size_t>(rows * heads * ropeDim));
  std::vector<float> headNope(static_cast<std::size_t>(rows * nope)),
      headLatent(static_cast<std::size_t>(rows * rank));
  for (int h = 0; h < heads; ++h) {
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* src = q.data() + (r * heads + h) * qkDim;
      std::copy(src, src + nope, headNope.begin() + r * nope);
      std::copy(src + nope, src + qkDim, qRope.begin() + (r * heads + h) * ropeDim);
    }
    cpu::matmulBf16(pool, headNope.data(), rows, nope,
                    keyAbsorb_.data() + static_cast<std::int64_t>(h) * rank * nope, rank, nullptr,
                    headLatent.data());
    for (std::int64_t r = 0; r < rows; ++r) {
      std::copy(headLatent.begin() + r * rank, headLatent.begin() + (r + 1) * rank,
                qLatent.begin() + (r * heads + h) * rank);
    }
  }

  std::vector<float> outLatent(qLatent.size());
  for (const BatchSegment& segment : batch.segments) {
    for (std::int64_t i = 0; i < segment.count; ++i) {
      const float* src = kv.data() + (segment.firstRow + i) * slotWidth;
      std::copy(src, src + slotWidth, cache.slot(*segment.sequence, layer, segment.start + i));
    }
    cpu::cachedLatentAttention(
        pool, cache, *segment.sequence, layer, qLatent.data() + segment.firstRow * heads * rank,
        qRope.data() + segment.firstRow * heads * ropeDim, segment.start, segment.count, heads, rank, ropeDim,
        scale_, outLatent.data() + segment.firstRow * heads * rank);
  }

  // Per head: out[h] = o_lat[h] W_UV[h]^T, W_UV[h] being kv_b rows [h*(nope+v)+nope, +v).
  std::vector<float> attended(static_cast<std::size_t>(rows * heads * vDim)),
      headOut(static_cast<std::size_t>(rows * vDim));
  for (int h = 0; h < heads; ++h) {
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* src = outLatent.data() + (r * heads + h) * rank;
      std::copy(src, src + rank, headLatent.begin() + r * rank);
    }
    cpu::matmulBf16(pool, headLatent.data(), rows, rank,
                    valueUp_ + (static_cast<std::int64_t>(h) * (nope + vDim) + nope) * rank, vDim, nullptr,
                    headOut.data());
    for (std::int64_t r = 0; r < rows; ++r) {
      std::copy(headOut.begin() + r * vDim, headOut.begin() + (r + 1) * vDim,
                attended.begin() + (r * heads + h) * vDim);
    }
  }
  o_.apply(pool, attended.data(), rows, residual, true);
}

}  // namespace vl2
