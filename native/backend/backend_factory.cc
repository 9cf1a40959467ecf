// The only file above the two backends that sees both: the CPU backend by its class, the CUDA one
// through its face (cuda_face/), which a build without CUDA answers with a clear refusal.
#include "backend/backend_factory.h"

#include "backend/cpu/matmul.h"
#include "backend/cpu/model/cpu_backend.h"
#include "backend/cuda_face/cuda_backend.h"

namespace vl2 {

std::unique_ptr<ModelBackend> createBackend(const WeightStore& store, const ModelConfig& config,
                                            const BackendChoice& choice) {
  if (choice.device == Device::kCuda) return createCudaBackend(store, config, choice.cudaDevice);
  return std::make_unique<CpuBackend>(store, config, choice.threads);
}

const char* cpuKernelSet() { return cpu::cpuHasAvx2() ? "avx2" : "portable"; }

}  // namespace vl2
