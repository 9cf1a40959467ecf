// Built into every binary; answers only when the CUDA backend was not compiled.
#include "backend/cuda_face/cuda_kernel_launches.h"

#ifndef VL2_WITH_CUDA
namespace vl2 {
std::vector<std::pair<std::string, std::uint64_t>> cudaKernelLaunches() { return {}; }
void resetCudaKernelLaunches() {}
}  // namespace vl2
#endif
