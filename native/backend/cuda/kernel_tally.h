// Counts kernel launches by name (every launcher's checkLaunch reports here), so a check can
// say which kernels a run used: the tuned ones, or the shape-agnostic fallbacks. Launches
// captured into a CUDA graph count once, at capture, not at each replay.
#pragma once

namespace vl2::cuda {

// kernelName: a string literal (counted by address; equal names are merged when read). Read and reset
// through backend/cuda_kernel_launches.h.
void tallyLaunch(const char* kernelName);

}  // namespace vl2::cuda
