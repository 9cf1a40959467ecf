// Built into every binary; answers only when the CUDA backend was not compiled.
#include "backend/cuda_face/cuda_upload.h"

#ifndef VL2_WITH_CUDA
#include "core/errors.h"

namespace vl2 {
GpuUploadTiming uploadWeightsToGpu(const WeightStore&) {
  fail(ErrorCode::kUnsupported, "this binary was built without the CUDA backend");
}
double measureDeviceCopyBandwidth(int) {
  fail(ErrorCode::kUnsupported, "this binary was built without the CUDA backend");
}
}  // namespace vl2
#endif
