// Built into every binary; answers only when the CUDA backend was not compiled.
#include "backend/cuda_face/cuda_backend.h"
#include "core/errors.h"

#ifndef VL2_WITH_CUDA
namespace vl2 {
std::unique_ptr<ModelBackend> createCudaBackend(const WeightStore&, const ModelConfig&, int) {
  fail(ErrorCode::kUnsupported,
       "this binary was built without the CUDA backend (VL2_CUDA=OFF or nvcc not found); use device 'cpu'");
}
std::vector<TokenChoice> drawOnDevice(const std::vector<float>&, const SamplingParams&, std::uint64_t,
                                      const std::vector<std::int32_t>&, int) {
  fail(ErrorCode::kUnsupported, "this binary was built without the CUDA backend");
}
}  // namespace vl2
#endif
