// Which CUDA kernels ran, by name, since the last reset (backend/cuda/kernel_tally.h): for checks
// that must know whether the tuned kernels or the shape-agnostic fallbacks did the work. Empty
// in a build without CUDA (cuda_kernel_launches_absent.cc).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vl2 {

std::vector<std::pair<std::string, std::uint64_t>> cudaKernelLaunches();
void resetCudaKernelLaunches();

}  // namespace vl2
