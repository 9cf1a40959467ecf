// Built into every binary; answers only when the CUDA backend was not compiled.
#include "backend/cuda_face/cuda_devices.h"

#ifndef VL2_WITH_CUDA
namespace vl2 {
CudaAvailability queryCudaAvailability() {
  CudaAvailability result;
  result.reason = "this binary was built without the CUDA backend (VL2_CUDA=OFF or nvcc not found)";
  return result;
}
}  // namespace vl2
#endif
