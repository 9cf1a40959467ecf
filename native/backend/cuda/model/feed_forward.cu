// A decoder layer's feed-forward on the GPU: the dense gated MLP, or the MoE block (router, top-k,
// grouped expert GEMMs over the rows each expert got, shared experts).
#include <algorithm>
#include <vector>

#include "backend/cuda/check.h"
#include "backend/cuda/model/device_ops.h"
#include "backend/cuda/moe/moe.h"

namespace vl2::cuda {
namespace {

MoeRouting routingOf(const LanguageConfig& c) {
  MoeRouting r;
  r.experts = c.routedExperts;
  r.topK = c.expertsPerToken;
  r.groups = c.groups;
  r.topkGroups = c.topkGroups;
  r.scoring = c.scoring == ScoringFunc::kSoftmax ? MoeScoring::kSoftmax : MoeScoring::kSigmoid;
  r.method = c.topkMethod == TopkMethod::kGreedy               ? MoeTopkMethod::kGreedy
             : c.topkMethod == TopkMethod::kGroupLimitedGreedy ? MoeTopkMethod::kGroupLimitedGreedy
                                                               : MoeTopkMethod::kNoauxTc;
  r.normTopkProb = c.normTopkProb;
  r.routedScalingFactor = c.routedScalingFactor;
  return r;
}

}  // namespace

void CudaBackend::feedForward(const Layer& layer, int rows, const __nv_bfloat16* normed, __nv_bfloat16* x,
                              const std::vector<std::int64_t>* captureRows,
                              std::vector<std::int32_t>* capturedExperts,
                              std::vector<float>* capturedScores) {
  const LanguageConfig& c = config_.language;
  const int hidden = c.hiddenSize;
  Scratch& s = *scratch_;
  if (!layer.moe) {
    auto* h = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * layer.gate.out);
    gateUpSilu(normed, rows, layer.gate, layer.up, h, stream_);
    linear(h, rows, layer.down, x, hidden, stream_, x, hidden);
    return;
  }
  const MoeRouting routing = routingOf(c);
  const int experts = c.routedExperts, topK = c.expertsPerToken, inter = c.moeIntermediateSize;
  const std::size_t slots = static_cast<std::size_t>(rows) * topK;
  auto* logits = s.take<float>(static_cast<std::size_t>(rows) * experts);
  linear(normed, rows, layer.router, logits, experts, stream_);
  auto* expertIds = s.take<int32_t>(slots);
  auto* weights = s.take<float>(slots);
  const bool captureScores = captureRows && capturedExperts && capturedScores;
  // Scratch for the scores only while capturing: the uncaptured step writes nothing more.
  float* choices = captureScores ? s.take<float>(static_cast<std::size_t>(rows) * experts) : nullptr;
  moeRoute(logits, layer.correctionBias, rows, routing, expertIds, weights, stream_, choices);
  if (captureRows && capturedExperts) {
    std::vector<std::int32_t> all(slots);
    check(cudaMemcpyAsync(all.data(), expertIds, slots * sizeof(int32_t), cudaMemcpyDeviceToHost, stream_),
          "routing capture");
    std::vector<float> allScores(captureScores ? static_cast<std::size_t>(rows) * experts : 0);
    if (captureScores) {
      check(cudaMemcpyAsync(allScores.data(), choices, allScores.size() * sizeof(float),
                            cudaMemcpyDeviceToHost, stream_),
            "routing capture");
    }
    check(cudaStreamSynchronize(stream_), "routing capture");
    for (std::int64_t row : *captureRows) {
      auto first = all.begin() + row * topK;
      std::vector<std::int32_t> chosen(first, first + topK);
      std::sort(chosen.begin(), chosen.end());
      capturedExperts->insert(capturedExperts->end(), chosen.begin(), chosen.end());
      if (captureScores) {
        auto scores = allScores.begin() + row * experts;
        capturedScores->insert(capturedScores->end(), scores, scores + experts);
      }
    }
  }
  auto* offsets = s.take<int32_t>(experts + 1);
  auto* rowSource = s.take<int32_t>(slots);
  auto* slotRow = s.take<int32_t>(slots);
  moePermute(expertIds, rows, topK, experts, offsets, rowSource, slotRow, stream_);
  auto* h = s.take<__nv_bfloat16>(slots * inter);
  moeGateUp(normed, rowSource, offsets, layer.expertGate, layer.expertUp, h, rows, topK, experts, inter,
            hidden, stream_);
  auto* y = s.take<float>(slots * hidden);
  moeDown(h, offsets, layer.expertDown, y, rows, topK, experts, hidden, inter, stream_);
  auto* sharedH = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * layer.sharedGate.out);
  gateUpSilu(normed, rows, layer.sharedGate, layer.sharedUp, sharedH, stream_);
  auto* shared = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * hidden);
  linear(sharedH, rows, layer.sharedDown, shared, hidden, stream_);
  moeCombine(y, slotRow, weights, shared, x, x, rows, topK, hidden, stream_);
}

}  // namespace vl2::cuda
