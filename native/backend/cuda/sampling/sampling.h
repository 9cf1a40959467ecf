// Choosing each row's next token on the GPU, where the logits are, so a decode step sends
// back a few bytes a row instead of the vocabulary: repetition penalty, temperature,
// top-k, top-p, min-p (the Hugging Face meanings and order, as engine/sampler.h), then a
// seeded draw. Thresholds come from radix selection over the logits' bits (exact, no
// sort); ties at a threshold are all kept. Every launch checked.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace vl2::cuda {

struct SamplingRow {
  int maskOffset = -1;       // the row's allowed-token bitmask in the masks upload, in words; -1 none
  float temperature = 0.0f;  // 0: greedy
  int topK = 0;              // 0: off
  float topP = 1.0f;         // 1: off
  float minP = 0.0f;         // 0: off
  float repetitionPenalty = 1.0f;
  int seenOffset = 0;  // this row's ids in the seen list (unique, penalised once each)
  int seenCount = 0;
  std::uint64_t seed = 0;  // the draw is a hash of (seed, draw): reproducible, order-free
  std::uint64_t draw = 0;
};

// logits: [rows, vocab] fp32, modified in place (penalties); rows, seenIds on the device.
// tokens[r], logprobs[r]: the chosen id and its log-probability under the filtered
// distribution (greedy: under the full softmax, as the CPU sampler reports).
// masks: the rows' allowed-token bitmasks (SamplingRow::maskOffset), or null when no row has one.
void sampleTokens(float* logits, int rows, int vocab, const SamplingRow* params, const int32_t* seenIds,
                  const uint32_t* masks, int32_t* tokens, float* logprobs, cudaStream_t stream);

}  // namespace vl2::cuda
