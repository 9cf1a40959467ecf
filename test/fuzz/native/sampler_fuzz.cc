// libFuzzer target: the host sampler under every option the boundary lets through and logits of any
// value (NaN, infinities, huge magnitudes: what a diverging model or a tiny temperature produces).
// Whatever comes in, the sampler either refuses the options with a typed error or returns an id
// inside the vocabulary; out-of-range ids would index the embedding table.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <unordered_set>
#include <vector>

#include "core/errors.h"
#include "engine/sampler.h"

namespace {
constexpr int kMaxVocab = 512;
constexpr int kMaxSeen = 32;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  vl2::SamplingParams params;
  params.temperature = in.ConsumeFloatingPoint<float>();
  params.topK = in.ConsumeIntegral<int>();
  params.topP = in.ConsumeFloatingPoint<float>();
  params.minP = in.ConsumeFloatingPoint<float>();
  params.repetitionPenalty = in.ConsumeFloatingPoint<float>();
  params.seeded = true;
  params.seed = in.ConsumeIntegral<std::uint64_t>();
  const std::int32_t vocab = in.ConsumeIntegralInRange<std::int32_t>(1, kMaxVocab);
  std::unordered_set<std::int32_t> seen;
  const int seenCount = in.ConsumeIntegralInRange<int>(0, kMaxSeen);
  for (int i = 0; i < seenCount; ++i) seen.insert(in.ConsumeIntegralInRange<std::int32_t>(-2, vocab + 2));
  std::vector<float> logits(static_cast<std::size_t>(vocab));
  for (float& logit : logits) logit = in.remaining_bytes() ? in.ConsumeFloatingPoint<float>() : 0.0f;
  try {
    vl2::Sampler sampler(params);
    for (int draw = 0; draw < 2; ++draw) {
      std::vector<float> row = logits;
      const std::int32_t id = sampler.sample(row.data(), vocab, seen);
      if (id < 0 || id >= vocab) std::abort();  // an id the embedding table does not have
      seen.insert(id);
    }
  } catch (const vl2::Error& error) {
    if (error.code() != vl2::ErrorCode::kInvalidArgument) std::abort();
  }
  return 0;
}
