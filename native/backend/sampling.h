// What the backends need to choose tokens: the sampling options (Hugging Face meanings) and the
// interface of a host sampler. The sampler itself is the engine's (engine/sampler.h): each
// request owns one, with its own seeded generator; a GPU draws on the device instead.
#pragma once

#include <cstdint>
#include <unordered_set>

namespace vl2 {

struct SamplingParams {
  float temperature = 0.0f;        // 0: greedy
  int topK = 0;                    // 0: off
  float topP = 1.0f;               // 1: off
  float minP = 0.0f;               // 0: off
  float repetitionPenalty = 1.0f;  // 1: off
  std::uint64_t seed = 0;
  bool seeded = false;  // false: seed from std::random_device
};

// Throws Error(kInvalidArgument) naming the first invalid value.
void validateSampling(const SamplingParams& params);

// Chooses one token from a row of logits on the host.
class HostSampler {
 public:
  virtual ~HostSampler() = default;
  // logits: [vocab], modified in place; seen: ids already in the sequence.
  virtual std::int32_t sample(float* logits, std::int32_t vocab,
                              const std::unordered_set<std::int32_t>& seen) = 0;
  // log-probability of the last token sampled under the distribution it was drawn from.
  virtual float lastLogprob() const = 0;
};

}  // namespace vl2
