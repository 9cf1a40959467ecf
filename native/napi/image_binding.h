#pragma once
#include <napi.h>

namespace vl2::napi {
// tileImage (one image's tiles on the image pool), imageThreads / setImageThreads, imageKernels.
void registerImage(Napi::Env env, Napi::Object exports);
}  // namespace vl2::napi
