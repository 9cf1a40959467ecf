// bench/load's measurement of the weight upload: the CUDA backend's own loading path,
// timed and then freed.
#include "backend/cuda/check.h"
#include "backend/cuda/model/device_weights.h"
#include "backend/cuda_upload.h"

namespace vl2 {

GpuUploadTiming uploadWeightsToGpu(const WeightStore& store) {
  cuda::DeviceMemory memory(cuda::currentDevice());
  cuda::DeviceWeights weights(store, memory);
  return GpuUploadTiming{weights.checkpointBytes(), weights.uploadSeconds()};
}

}  // namespace vl2
