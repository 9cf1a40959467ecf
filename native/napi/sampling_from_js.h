// The sampling options of a request (lib/options.ts's SamplingOptions, already checked there),
// read into the engine's SamplingParams on the JS thread.
#pragma once

#include <napi.h>

#include "backend/sampling.h"

namespace vl2::napi {

SamplingParams samplingFromJs(const Napi::Object& sampling);

}  // namespace vl2::napi
