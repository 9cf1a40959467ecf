// bench/load's measurement of the weight upload: the CUDA backend's own loading path,
// timed and then freed.
#include <algorithm>
#include <vector>

#include "backend/cuda/check.h"
#include "backend/cuda/model/device_weights.h"
#include "backend/cuda_face/cuda_upload.h"

namespace vl2 {

GpuUploadTiming uploadWeightsToGpu(const WeightStore& store) {
  cuda::DeviceMemory memory(cuda::currentDevice());
  cuda::DeviceWeights weights(store, memory);
  return GpuUploadTiming{weights.checkpointBytes(), weights.uploadSeconds()};
}

double measureDeviceCopyBandwidth(int device) {
  cuda::check(cudaSetDevice(device), "cudaSetDevice");
  constexpr std::size_t kBytes = 2ull << 30;
  cuda::DeviceMemory memory(device);
  void* source = memory.allocate(kBytes, cuda::MemoryUse::kWorkspace);
  void* target = memory.allocate(kBytes, cuda::MemoryUse::kWorkspace);
  VL2_CUDA_CHECK(cudaMemset(source, 1, kBytes));
  cudaEvent_t start = nullptr, stop = nullptr;
  VL2_CUDA_CHECK(cudaEventCreate(&start));
  VL2_CUDA_CHECK(cudaEventCreate(&stop));
  std::vector<float> milliseconds;
  for (int i = 0; i < 6; ++i) {
    VL2_CUDA_CHECK(cudaEventRecord(start));
    VL2_CUDA_CHECK(cudaMemcpy(target, source, kBytes, cudaMemcpyDeviceToDevice));
    VL2_CUDA_CHECK(cudaEventRecord(stop));
    VL2_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    VL2_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    if (i > 0) milliseconds.push_back(ms);  // the first warms up
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(milliseconds.begin(), milliseconds.end());
  return 2.0 * kBytes / (milliseconds[milliseconds.size() / 2] * 1e-3);
}

}  // namespace vl2
