#include "backend/cpu/model/feed_forward.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "backend/cpu/elementwise.h"
#include "core/errors.h"

namespace vl2 {

GatedMlp GatedMlp::load(const WeightStore& store, const std::string& prefix, std::int64_t hidden,
                        std::int64_t intermediate) {
  return GatedMlp{Linear::load(store, prefix + "gate_proj", intermediate, hidden, false),
                  Linear::load(store, prefix + "up_proj", intermediate, hidden, false),
                  Linear::load(store, prefix + "down_proj", hidden, intermediate, false)};
}

void GatedMlp::addTo(ThreadPool& pool, const float* x, std::int64_t rows, float* residual) const {
  const std::int64_t width = gate.outFeatures;
  std::vector<float> g(static_cast<std::size_t>(rows * width)), u(g.size());
  gate.apply(pool, x, rows, g.data());
  up.apply(pool, x, rows, u.data());
  cpu::siluMul(pool, g.data(), u.data(), g.data(), rows * width);
  down.apply(pool, g.data(), rows, residual, true);
}

MoeBlock::MoeBlock(const WeightStore& store, const std::string& prefix, const LanguageConfig& config)
    : config_(config) {
  const std::int64_t hidden = config.hiddenSize;
  router_ = Linear::load(store, prefix + "gate", config.routedExperts, hidden, false);
  if (config.topkMethod == TopkMethod::kNoauxTc) {
    correctionBias_ =
        widenToFloat(store.get(prefix + "gate.e_score_correction_bias", {config.routedExperts}));
  }
  for (int e = 0; e < config.routedExperts; ++e) {
    experts_.push_back(GatedMlp::load(store, prefix + "experts." + std::to_string(e) + ".", hidden,
                                      config.moeIntermediateSize));
  }
  shared_ = GatedMlp::load(store, prefix + "shared_experts.", hidden,
                           static_cast<std::int64_t>(config.moeIntermediateSize) * config.sharedExperts);
}

Routing MoeBlock::route(ThreadPool& pool, const float* x, std::int64_t rows, bool keepChoices,
                        const std::int32_t* forced) const {
  const int experts = config_.routedExperts, topK = config_.expertsPerToken;
  std::vector<float> scores(static_cast<std::size_t>(rows * experts));
  {
    // The router in fp32 in every precision ("scores and routing in fp32", SPEC.md's MoE): top-k
    // and group choices are discontinuous, and rounding its input to bf16 flipped a near tie of
    // Base's groups in a golden case (base/two-images, tail 1: logits 8.2e-2 off). A GEMM of
    // experts x hidden, small beside the experts themselves.
    cpu::CpuPrecisionScope fp32Router(cpu::CpuPrecision::kFp32);
    router_.apply(pool, x, rows, scores.data());
  }
  Routing routing;
  routing.experts.resize(static_cast<std::size_t>(rows * topK));
  routing.weights.resize(routing.experts.size());
  if (keepChoices) routing.choices.resize(scores.size());
  if (forced) {
    // Checked before any row is routed: only a forced choice can name an expert that is not there.
    if (std::any_of(forced, forced + rows * topK, [&](std::int32_t e) { return e < 0 || e >= experts; }))
      fail(ErrorCode::kInvalidArgument, "forced expert out of range");
    routing.ownChoice.resize(routing.experts.size());
  }
  std::vector<float> choice(static_cast<std::size_t>(experts));
  std::vector<int> order(static_cast<std::size_t>(experts));
  for (std::int64_t r = 0; r < rows; ++r) {
    float* s = scores.data() + r * experts;
    if (config_.scoring == ScoringFunc::kSoftmax) {
      const float maxLogit = *std::max_element(s, s + experts);
      double sum = 0;
      for (int e = 0; e < experts; ++e) sum += (s[e] = std::exp(s[e] - maxLogit));
      for (int e = 0; e < experts; ++e) s[e] = static_cast<float>(s[e] / sum);
    } else {
      for (int e = 0; e < experts; ++e) s[e] = 1.0f / (1.0f + std::exp(-s[e]));
    }
    std::copy(s, s + experts, choice.begin());
    if (config_.topkMethod == TopkMethod::kNoauxTc) {
      for (int e = 0; e < experts; ++e) choice[e] += correctionBias_[e];
    }
    if (keepChoices) std::copy(choice.begin(), choice.end(), routing.choices.begin() + r * experts);
    if (config_.topkMethod != TopkMethod::kGreedy) {
      const int groups = config_.groups, perGroup = experts / groups;
      // Group score: the best (group_limited_greedy) or the sum of the two best (noaux_tc).
      std::vector<float> groupScore(static_cast<std::size_t>(groups));
      for (int g = 0; g < groups; ++g) {
        std::vector<float> members(choice.begin() + g * perGroup, choice.begin() + (g + 1) * perGroup);
        std::sort(members.begin(), members.end(), std::greater<float>());
        groupScore[g] = config_.topkMethod == TopkMethod::kNoauxTc
                            ? members[0] + (perGroup > 1 ? members[1] : 0.0f)
                            : members[0];
      }
      std::vector<int> groupOrder(static_cast<std::size_t>(groups));
      std::iota(groupOrder.begin(), groupOrder.end(), 0);
      std::stable_sort(groupOrder.begin(), groupOrder.end(),
                       [&](int a, int b) { return groupScore[a] > groupScore[b]; });
      std::vector<bool> kept(static_cast<std::size_t>(groups), false);
      for (int i = 0; i < config_.topkGroups; ++i) kept[groupOrder[i]] = true;
      // Masked experts score 0.0, not -inf, as the reference does.
      for (int e = 0; e < experts; ++e) {
        if (!kept[e / perGroup]) choice[e] = 0.0f;
      }
    }
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return choice[a] > choice[b]; });
    if (forced) {
      std::copy(order.begin(), order.begin() + topK, routing.ownChoice.begin() + r * topK);
      std::copy(forced + r * topK, forced + (r + 1) * topK, order.begin());
    }
    float sum = 0;
    for (int k = 0; k < topK; ++k) {
      routing.experts[r * topK + k] = order[k];
      routing.weights[r * topK + k] = s[order[k]];  // the score without the correction bias
      sum += s[order[k]];
    }
    const bool renormalise = topK > 1 && config_.normTopkProb;
    for (int k = 0; k < topK; ++k) {
      float& w = routing.weights[r * topK + k];
      w = (renormalise ? w / (sum + 1e-20f) : w) * config_.routedScalingFactor;
    }
  }
  return routing;
}

void MoeBlock::addTo(ThreadPool& pool, const float* x, std::int64_t rows, float* residual,
                     const std::vector<std::int64_t>* captureRows, std::vector<std::int32_t>* capturedExperts,
                     std::vector<float>* capturedScores, const std::int32_t* forcedExperts) const {
  const std::int64_t hidden = config_.hiddenSize;
  const int topK = config_.expertsPerToken, experts = config_.routedExperts;
  const bool captureScores = captureRows && capturedScores;
  const Routing routing = route(pool, x, rows, captureScores, forcedExperts);
  if (captureScores) {
    for (std::int64_t row : *captureRows) {
      auto first = routing.choices.begin() + row * experts;
      capturedScores->insert(capturedScores->end(), first, first + experts);
    }
  }
  if (captureRows && capturedExperts) {
    for (std::int64_t row : *captureRows) {
      auto first = (forcedExperts ? routing.ownChoice : routing.experts).begin() + row * topK;
      std::vector<std::int32_t> chosen(first, first + topK);
      std::sort(chosen.begin(), chosen.end());
      capturedExperts->insert(capturedExperts->end(), chosen.begin(), chosen.end());
    }
  }
  // Group token rows by expert so each expert runs one GEMM over its rows.
  std::vector<std::vector<std::int64_t>> assigned(static_cast<std::size_t>(config_.routedExperts));
  for (std::int64_t i = 0; i < rows * topK; ++i) assigned[routing.experts[i]].push_back(i);
  std::vector<float> gathered, expertOut;
  for (int e = 0; e < config_.routedExperts; ++e) {
    const std::vector<std::int64_t>& slots = assigned[e];
    if (slots.empty()) continue;
    const std::int64_t n = static_cast<std::int64_t>(slots.size());
    gathered.resize(static_cast<std::size_t>(n * hidden));
    expertOut.assign(static_cast<std::size_t>(n * hidden), 0.0f);
    for (std::int64_t j = 0; j < n; ++j) {
      const float* src = x + (slots[j] / topK) * hidden;
      std::copy(src, src + hidden, gathered.begin() + j * hidden);
    }
    experts_[e].addTo(pool, gathered.data(), n, expertOut.data());
    for (std::int64_t j = 0; j < n; ++j) {
      float* dst = residual + (slots[j] / topK) * hidden;
      const float w = routing.weights[slots[j]];
      const float* src = expertOut.data() + j * hidden;
      for (std::int64_t d = 0; d < hidden; ++d) dst[d] += w * src[d];
    }
  }
  shared_.addTo(pool, x, rows, residual);
}

}  // namespace vl2
