// A Linear layer as checkpoints store it: weight [out, in] bf16 used in place,
// optional bias widened to fp32 once at load (biases are tiny).
#pragma once

#include <string>
#include <vector>

#include "backend/cpu/matmul.h"
#include "core/weight_store.h"

namespace vl2 {

struct Linear {
  const std::uint16_t* weight = nullptr;
  std::int64_t outFeatures = 0;
  std::int64_t inFeatures = 0;
  std::vector<float> bias;  // empty: no bias

  static Linear load(const WeightStore& store, const std::string& prefix, std::int64_t out, std::int64_t in,
                     bool withBias);
  // y: [rows, out] = x: [rows, in] W^T (+ b); accumulate adds into y instead.
  void apply(ThreadPool& pool, const float* x, std::int64_t rows, float* y, bool accumulate = false) const {
    cpu::matmulBf16(pool, x, rows, inFeatures, weight, outFeatures, bias.empty() ? nullptr : bias.data(), y,
                    accumulate);
  }
};

}  // namespace vl2
