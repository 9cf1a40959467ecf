// One checking helper for every CUDA runtime call and kernel launch of the CUDA
// backend: a failure becomes vl2::Error(kCuda) (kOutOfMemory for allocations), which
// the N-API layer turns into a typed JS error. Never aborts the process.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "core/errors.h"

namespace vl2::cuda {

inline void check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  // Clears the error if it is not sticky, so the next call starts clean.
  cudaGetLastError();
  const ErrorCode code = status == cudaErrorMemoryAllocation ? ErrorCode::kOutOfMemory : ErrorCode::kCuda;
  fail(code, std::string("CUDA: ") + what + ": " + cudaGetErrorName(status) + " (" +
                 cudaGetErrorString(status) + ")");
}

// After a <<<...>>> launch: catches bad configurations (grid, shared memory) at once;
// faults inside the kernel surface at the next synchronising call, also checked.
inline void checkLaunch(const char* kernelName) { check(cudaGetLastError(), kernelName); }

// Launchers validate their sizes with this: a bad shape is the caller's bug, reported
// as an invalid argument instead of a fault on the device.
inline void require(bool condition, const char* what) {
  if (!condition) fail(ErrorCode::kInvalidArgument, std::string("CUDA kernel argument: ") + what);
}

inline int multiprocessorCount() {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  int count = 0;
  check(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device),
        "cudaDeviceGetAttribute(multiprocessors)");
  return count;
}

}  // namespace vl2::cuda

#define VL2_CUDA_CHECK(call) ::vl2::cuda::check((call), #call)
