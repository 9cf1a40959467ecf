#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/errors.h"

namespace vl2 {

Sampler::Sampler(const SamplingParams& params) : params_(params) {
  validateSampling(params);
  rng_.seed(params.seeded ? params.seed : std::random_device{}());
}

std::size_t Sampler::filter(float* logits, std::int32_t vocab, const std::unordered_set<std::int32_t>& seen) {
  if (params_.repetitionPenalty != 1.0f) {
    for (std::int32_t id : seen) {
      if (id < 0 || id >= vocab) continue;
      float& v = logits[id];
      v = v < 0 ? v * params_.repetitionPenalty : v / params_.repetitionPenalty;
    }
  }
  if (params_.temperature == 0.0f) {
    std::int32_t best = 0;
    for (std::int32_t i = 1; i < vocab; ++i) {
      if (logits[i] > logits[best]) best = i;
    }
    double sum = 0;
    for (std::int32_t i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(logits[i] - logits[best]));
    lastLogprob_ = static_cast<float>(-std::log(sum));
    order_.assign(1, best);
    probs_.assign(1, 1.0f);
    return 1;
  }
  const float invTemperature = 1.0f / params_.temperature;
  for (std::int32_t i = 0; i < vocab; ++i) logits[i] *= invTemperature;

  // Candidates in descending order: top-k first (partial sort), else all.
  order_.resize(static_cast<std::size_t>(vocab));
  std::iota(order_.begin(), order_.end(), 0);
  const std::int32_t keep = params_.topK > 0 ? std::min(params_.topK, vocab) : vocab;
  auto byLogit = [&](std::int32_t a, std::int32_t b) { return logits[a] > logits[b]; };
  std::partial_sort(order_.begin(), order_.begin() + keep, order_.end(), byLogit);
  order_.resize(static_cast<std::size_t>(keep));

  const float maxLogit = logits[order_[0]];
  std::vector<double>& probs = work_;
  probs.resize(order_.size());
  double sum = 0;
  for (std::size_t i = 0; i < order_.size(); ++i)
    sum += (probs[i] = std::exp(static_cast<double>(logits[order_[i]] - maxLogit)));
  for (double& p : probs) p /= sum;

  std::size_t count = probs.size();
  if (params_.topP < 1.0f) {  // the smallest prefix whose mass reaches topP (at least one token)
    double mass = 0;
    std::size_t i = 0;
    for (; i < count; ++i) {
      mass += probs[i];
      if (mass >= params_.topP) break;
    }
    count = std::min(count, i + 1);
  }
  if (params_.minP > 0.0f) {  // drop tokens below minP x the top probability
    const double floor = params_.minP * probs[0];
    std::size_t i = 1;
    while (i < count && probs[i] >= floor) ++i;
    count = i;
  }
  double kept = 0;
  for (std::size_t i = 0; i < count; ++i) kept += probs[i];
  order_.resize(count);
  probs_.resize(count);
  for (std::size_t i = 0; i < count; ++i) probs_[i] = static_cast<float>(probs[i] / kept);
  return count;
}

std::int32_t Sampler::sample(float* logits, std::int32_t vocab,
                             const std::unordered_set<std::int32_t>& seen) {
  const std::size_t count = filter(logits, vocab, seen);
  if (params_.temperature == 0.0f) return order_[0];
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const double target = uniform(rng_);
  double running = 0;
  std::size_t chosen = count - 1;  // rounding can leave the running sum a hair under 1
  for (std::size_t i = 0; i < count; ++i) {
    running += probs_[i];
    if (running > target) {
      chosen = i;
      break;
    }
  }
  lastLogprob_ = std::log(probs_[chosen]);
  return order_[chosen];
}

}  // namespace vl2
