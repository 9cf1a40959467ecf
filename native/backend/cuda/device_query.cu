// Asks the CUDA runtime (linked statically) which GPUs exist. With no driver the
// runtime returns an error code instead of failing to load, so the addon still
// loads on machines without NVIDIA hardware.
#include <cuda_runtime.h>

#include "backend/cuda_face/cuda_devices.h"

namespace vl2 {

CudaAvailability queryCudaAvailability() {
  CudaAvailability result;
  result.compiled = true;
  cudaRuntimeGetVersion(&result.runtimeVersion);
  cudaDriverGetVersion(&result.driverVersion);
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    result.reason = std::string("no usable NVIDIA GPU: ") + cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky-free error so later queries start clean
    return result;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    CudaDeviceInfo info;
    info.index = i;
    info.name = prop.name;
    info.totalMemoryBytes = prop.totalGlobalMem;
    info.computeCapabilityMajor = prop.major;
    info.computeCapabilityMinor = prop.minor;
    info.multiprocessorCount = prop.multiProcessorCount;
    int previous = 0;
    cudaGetDevice(&previous);
    if (cudaSetDevice(i) == cudaSuccess) {
      size_t freeBytes = 0, totalBytes = 0;
      if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess) info.freeMemoryBytes = freeBytes;
      cudaSetDevice(previous);
    }
    result.devices.push_back(info);
  }
  result.available = !result.devices.empty();
  if (!result.available) result.reason = "the CUDA driver reports no GPUs";
  return result;
}

}  // namespace vl2
