#include "napi/sampling_from_js.h"

#include <algorithm>
#include <cstdint>

#include "napi/js_values.h"

namespace vl2::napi {

SamplingParams samplingFromJs(const Napi::Object& s) {
  SamplingParams params;
  params.temperature = static_cast<float>(numberFieldOr(s, "temperature", 0, "sampling"));
  // Past the vocabulary topK and maxTokens change nothing, so any safe integer is taken and capped.
  params.topK = static_cast<int>(
      std::min<std::int64_t>(integerFieldOr(s, "topK", 0, 0, kMaxSafeInteger, "sampling"), INT32_MAX));
  params.topP = static_cast<float>(numberFieldOr(s, "topP", 1, "sampling"));
  params.minP = static_cast<float>(numberFieldOr(s, "minP", 0, "sampling"));
  params.repetitionPenalty = static_cast<float>(numberFieldOr(s, "repetitionPenalty", 1, "sampling"));
  if (!isAbsent(s.Get("seed"))) {
    params.seed = static_cast<std::uint64_t>(integerField(s, "seed", 0, kMaxSafeInteger, "sampling"));
    params.seeded = true;
  }
  return params;
}

}  // namespace vl2::napi
