#pragma once
#include <napi.h>

namespace vl2::napi {
// probeSampler, cudaKernelLaunches, measureCopyBandwidth, measureGpuUpload: test and bench probes.
void registerProbes(Napi::Env env, Napi::Object exports);
}  // namespace vl2::napi
