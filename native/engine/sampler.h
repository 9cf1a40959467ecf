// Choosing the next token from logits, with the Hugging Face meaning of every
// option: repetition penalty on the logits of tokens already in the sequence,
// then temperature, top-k, top-p and min-p, then a draw from a seeded generator.
// Temperature 0 is greedy (argmax after the penalty).
#pragma once

#include <cstdint>
#include <random>
#include <unordered_set>
#include <vector>

#include "backend/sampling.h"

namespace vl2 {

class Sampler : public HostSampler {
 public:
  explicit Sampler(const SamplingParams& params);
  // logits: [vocab], modified in place; seen: ids already in the sequence.
  std::int32_t sample(float* logits, std::int32_t vocab,
                      const std::unordered_set<std::int32_t>& seen) override;
  // The distribution sample() draws from: after every filter, the kept ids most likely first
  // with their probabilities renormalised over them (greedy: the argmax alone, probability 1).
  // Returns how many were kept; candidateIds()/candidateProbs() hold them until the next call.
  std::size_t filter(float* logits, std::int32_t vocab, const std::unordered_set<std::int32_t>& seen);
  const std::vector<std::int32_t>& candidateIds() const { return order_; }
  const std::vector<float>& candidateProbs() const { return probs_; }
  // log-probability of `token` under the last distribution sampled from (after all filters).
  float lastLogprob() const override { return lastLogprob_; }

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::int32_t> order_;
  std::vector<float> probs_;
  std::vector<double> work_;  // unfiltered probabilities, kept to avoid a vocab-sized allocation a step
  float lastLogprob_ = 0.0f;
};

}  // namespace vl2
