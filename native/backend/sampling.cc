#include "backend/sampling.h"

#include <cmath>

#include "core/errors.h"

namespace vl2 {

void validateSampling(const SamplingParams& p) {
  auto bad = [](const char* what) { fail(ErrorCode::kInvalidArgument, what); };
  if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature))
    bad("temperature must be a finite number >= 0");
  if (p.topK < 0) bad("topK must be >= 0 (0: off)");
  if (!(p.topP > 0.0f && p.topP <= 1.0f)) bad("topP must be in (0, 1]");
  if (!(p.minP >= 0.0f && p.minP < 1.0f)) bad("minP must be in [0, 1)");
  if (!(p.repetitionPenalty > 0.0f) || !std::isfinite(p.repetitionPenalty))
    bad("repetitionPenalty must be > 0");
}

}  // namespace vl2
