// The feed-forward half of a decoder layer: the dense SiLU MLP (first layers)
// or the DeepSeekMoE block: routed experts chosen per token plus shared experts.
#pragma once

#include <string>
#include <vector>

#include "backend/cpu/model/linear.h"
#include "core/model_config.h"

namespace vl2 {

struct GatedMlp {
  Linear gate, up, down;
  static GatedMlp load(const WeightStore& store, const std::string& prefix, std::int64_t hidden,
                       std::int64_t intermediate);
  // residual[rows, hidden] += weight-free MLP(x)
  void addTo(ThreadPool& pool, const float* x, std::int64_t rows, float* residual) const;
};

// Which experts a token uses and their weights (SPEC section 6, MoE).
struct Routing {
  std::vector<std::int32_t> experts;  // [rows, topK]
  std::vector<float> weights;         // [rows, topK]
  // [rows, experts] the scores top-k ranked (with the correction bias, before group masking);
  // kept only when route() is asked to, for captures.
  std::vector<float> choices;
  // [rows, topK] what top-k chose, when route() was given experts to use instead.
  std::vector<std::int32_t> ownChoice;
};

class MoeBlock {
 public:
  MoeBlock(const WeightStore& store, const std::string& prefix, const LanguageConfig& config);
  // forced (optional, [rows, topK]): use these experts instead of the top-k, weighted by their own
  // scores as the top-k would be; `ownChoice` then keeps what top-k chose.
  Routing route(ThreadPool& pool, const float* x, std::int64_t rows, bool keepChoices = false,
                const std::int32_t* forced = nullptr) const;
  // residual += sum_k w_k expert_k(x) + shared(x); capturedExperts (optional) gets the routed
  // experts of each row in captureRows, ascending per row, and capturedScores (optional) their
  // router scores over every routed expert (Routing::choices). forcedExperts: see route(); the
  // captures report the top-k's own choice.
  void addTo(ThreadPool& pool, const float* x, std::int64_t rows, float* residual,
             const std::vector<std::int64_t>* captureRows = nullptr,
             std::vector<std::int32_t>* capturedExperts = nullptr,
             std::vector<float>* capturedScores = nullptr, const std::int32_t* forcedExperts = nullptr) const;

 private:
  LanguageConfig config_;
  Linear router_;
  std::vector<float> correctionBias_;  // noaux_tc only
  std::vector<GatedMlp> experts_;
  GatedMlp shared_;
};

}  // namespace vl2
