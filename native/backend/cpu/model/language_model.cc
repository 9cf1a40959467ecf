#include "backend/cpu/model/language_model.h"

#include <algorithm>
#include <string>

#include "backend/cpu/elementwise.h"
#include "core/errors.h"

namespace vl2 {

LanguageModel::LanguageModel(const WeightStore& store, const LanguageConfig& config) : config_(config) {
  const std::int64_t hidden = config.hiddenSize;
  for (int l = 0; l < config.numLayers; ++l) {
    const std::string p = "language.model.layers." + std::to_string(l) + ".";
    Layer layer;
    layer.inputNorm = widenToFloat(store.get(p + "input_layernorm.weight", {hidden}));
    layer.postAttentionNorm = widenToFloat(store.get(p + "post_attention_layernorm.weight", {hidden}));
    layer.attention = std::make_unique<AttentionBlock>(store, p + "self_attn.", config);
    if (config.isMoeLayer(l)) {
      layer.moe = std::make_unique<MoeBlock>(store, p + "mlp.", config);
    } else {
      layer.dense =
          std::make_unique<GatedMlp>(GatedMlp::load(store, p + "mlp.", hidden, config.intermediateSize));
    }
    layers_.push_back(std::move(layer));
  }
  finalNorm_ = widenToFloat(store.get("language.model.norm.weight", {hidden}));
  lmHead_ = Linear::load(store, "language.lm_head", config.vocabSize, hidden, false);
}

std::vector<float> LanguageModel::forward(ThreadPool& pool, HostKvCache& cache, const StepBatch& batch,
                                          float* x, StepCaptures* captures) const {
  const std::int64_t rows = batch.rows(), hidden = config_.hiddenSize;
  const bool capture = captures && captures->hiddenLast;
  auto captureLastRow = [&](const float* source) {
    if (capture)
      captures->hidden.insert(captures->hidden.end(), source + (rows - 1) * hidden, source + rows * hidden);
  };
  if (capture) {
    captures->hidden.clear();
    captures->experts.clear();
    captures->routerScores.clear();
  }
  captureLastRow(x);
  const std::vector<std::int64_t> captureRows = batch.segmentLastRows();
  const std::vector<std::int32_t>* routeAs = captures ? captures->routeAs : nullptr;
  const int topK = config_.expertsPerToken;
  if (routeAs) {
    const auto moeLayers = static_cast<std::size_t>(std::count_if(
        layers_.begin(), layers_.end(), [](const Layer& layer) { return layer.moe != nullptr; }));
    if (rows != static_cast<std::int64_t>(batch.segments.size()) ||
        routeAs->size() != moeLayers * static_cast<std::size_t>(rows * topK))
      fail(ErrorCode::kInvalidArgument, "routeAs needs [MoE layers, rows, topK] experts of a decode step");
  }
  int moeLayer = 0;
  std::vector<float> normed(static_cast<std::size_t>(rows * hidden));
  for (int l = 0; l < config_.numLayers; ++l) {
    const Layer& layer = layers_[l];
    std::copy(x, x + rows * hidden, normed.begin());
    cpu::rmsNorm(normed.data(), rows, hidden, layer.inputNorm.data(), config_.rmsNormEps);
    layer.attention->forward(pool, cache, l, batch, normed.data(), x);
    std::copy(x, x + rows * hidden, normed.begin());
    cpu::rmsNorm(normed.data(), rows, hidden, layer.postAttentionNorm.data(), config_.rmsNormEps);
    if (layer.moe) {
      layer.moe->addTo(
          pool, normed.data(), rows, x, capture ? &captureRows : nullptr,
          capture ? &captures->experts : nullptr, capture ? &captures->routerScores : nullptr,
          routeAs ? routeAs->data() + static_cast<std::size_t>(moeLayer) * rows * topK : nullptr);
      ++moeLayer;
    } else {
      layer.dense->addTo(pool, normed.data(), rows, x);
    }
    captureLastRow(x);
  }
  // Only each sequence's last row needs the final norm and the lm head.
  const std::int64_t segments = static_cast<std::int64_t>(batch.segments.size());
  std::vector<float> last(static_cast<std::size_t>(segments * hidden));
  for (std::int64_t s = 0; s < segments; ++s) {
    const BatchSegment& segment = batch.segments[s];
    const float* src = x + (segment.firstRow + segment.count - 1) * hidden;
    std::copy(src, src + hidden, last.begin() + s * hidden);
  }
  cpu::rmsNorm(last.data(), segments, hidden, finalNorm_.data(), config_.rmsNormEps);
  if (capture) std::copy(last.end() - hidden, last.end(), captures->hidden.end() - hidden);
  std::vector<float> logits(static_cast<std::size_t>(segments * config_.vocabSize));
  lmHead_.apply(pool, last.data(), segments, logits.data());
  return logits;
}

}  // namespace vl2
