// The one way to make a backend: the model layer names a device, never a backend's class, so
// neither backend's headers reach native/model/ (scripts/check-layers.mjs holds that line).
#pragma once

#include <memory>

#include "backend/backend.h"
#include "backend/cpu_precision.h"
#include "core/model_config.h"
#include "core/weight_store.h"

namespace vl2 {

enum class Device { kCpu, kCuda };

// What a backend is made for: the device, and each backend's own knobs.
struct BackendChoice {
  Device device = Device::kCpu;
  int cudaDevice = 0;                               // CUDA: which GPU
  int threads = 0;                                  // CPU: worker threads, 0 for every hardware thread
  CpuPrecision cpuPrecision = CpuPrecision::kFp32;  // CPU: kBf16 only where cpuHasBf16Kernels()
};

// Makes the backend `choice` names over `store`'s weights. For CUDA: throws Error(kUnsupported)
// in a build without CUDA, Error(kCuda) without a usable GPU and Error(kOutOfMemory) when the
// weights do not fit.
std::unique_ptr<ModelBackend> createBackend(const WeightStore& store, const ModelConfig& config,
                                            const BackendChoice& choice);

// The GEMM kernels the CPU backend runs here in `precision` ("avx512-bf16", "avx2" or
// "portable"), for reports such as `vl2 backends`.
const char* cpuKernelSet(CpuPrecision precision);
// Whether this processor runs the bf16 precision's kernels (AVX-512 BF16).
bool cpuHasBf16Kernels();
// The cpuPrecision a CPU model gets when none is asked for: kBf16 where the processor has the
// kernels and environment VL2_CPU_PRECISION is not "fp32".
CpuPrecision defaultCpuPrecision();

}  // namespace vl2
