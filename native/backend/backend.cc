#include "backend/backend.h"

#include <limits>

namespace vl2 {

std::vector<TokenChoice> ModelBackend::forwardAndChoose(const StepBatch& batch, const float* x,
                                                        const std::vector<ChoiceRequest>& choices) {
  std::vector<float> logits = forward(batch, x, nullptr);
  const std::size_t vocab = choices.empty() ? 0 : logits.size() / choices.size();
  std::vector<TokenChoice> out(choices.size());
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (choices[i].sampler == nullptr) continue;  // no token wanted (a prompt chunk that is not the last)
    if (choices[i].allowedReady) choices[i].allowedReady->wait();
    if (const std::uint32_t* allowed = choices[i].allowed) {
      float* row = logits.data() + i * vocab;
      for (std::size_t t = 0; t < vocab; ++t)
        if (!((allowed[t >> 5] >> (t & 31)) & 1u)) row[t] = -std::numeric_limits<float>::infinity();
    }
    out[i].token = choices[i].sampler->sample(logits.data() + i * vocab, static_cast<std::int32_t>(vocab),
                                              *choices[i].seen);
    out[i].logprob = choices[i].sampler->lastLogprob();
  }
  return out;
}

}  // namespace vl2
