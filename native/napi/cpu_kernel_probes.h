#pragma once
#include <napi.h>

namespace vl2::napi {
// probeCpuMatmul: one CPU GEMM alone, for the kernel tests and the GEMM bench.
void registerCpuKernelProbes(Napi::Env env, Napi::Object exports);
}  // namespace vl2::napi
