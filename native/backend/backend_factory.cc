// The only file above the two backends that sees both: the CPU backend by its class, the CUDA one
// through its face (cuda_face/), which a build without CUDA answers with a clear refusal.
#include "backend/backend_factory.h"

#include "backend/cpu/model/cpu_backend.h"
#include "backend/cpu/precision.h"
#include "backend/cuda_face/cuda_backend.h"

namespace vl2 {

std::unique_ptr<ModelBackend> createBackend(const WeightStore& store, const ModelConfig& config,
                                            const BackendChoice& choice) {
  if (choice.device == Device::kCuda) return createCudaBackend(store, config, choice.cudaDevice);
  return std::make_unique<CpuBackend>(store, config, choice.threads, choice.cpuPrecision);
}

const char* cpuKernelSet(CpuPrecision precision) { return cpu::cpuKernelsName(precision); }

bool cpuHasBf16Kernels() { return cpu::cpuHasAvx512Bf16(); }

CpuPrecision defaultCpuPrecision() { return cpu::defaultCpuPrecision(); }

}  // namespace vl2
