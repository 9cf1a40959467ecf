// One checking helper for every CUDA runtime call and kernel launch of the CUDA
// backend: a failure becomes vl2::Error(kCuda) (kOutOfMemory for allocations), which
// the N-API layer turns into a typed JS error. Never aborts the process.
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <string>

#include "backend/cuda/kernel_tally.h"
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
// faults inside the kernel surface at the next synchronising call, also checked. Counts the
// launch under kernelName (kernel_tally.h).
inline void checkLaunch(const char* kernelName) {
  tallyLaunch(kernelName);
  check(cudaGetLastError(), kernelName);
}

// Launchers validate their sizes with this: a bad shape is the caller's bug, reported
// as an invalid argument instead of a fault on the device.
inline void require(bool condition, const char* what) {
  if (!condition) fail(ErrorCode::kInvalidArgument, std::string("CUDA kernel argument: ") + what);
}

constexpr int kMaxCachedDevices = 64;

inline int currentDevice() {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  return device;
}

// Launchers ask this on every call: cached per device, so a decode step does not pay a driver
// query per kernel.
inline int multiprocessorCount() {
  static std::atomic<int> cached[kMaxCachedDevices] = {};
  const int device = currentDevice();
  if (device < kMaxCachedDevices && cached[device].load(std::memory_order_relaxed) > 0)
    return cached[device].load(std::memory_order_relaxed);
  int count = 0;
  check(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device),
        "cudaDeviceGetAttribute(multiprocessors)");
  if (device < kMaxCachedDevices) cached[device].store(count, std::memory_order_relaxed);
  return count;
}

// Raises kKernel's dynamic shared-memory limit to `bytes`, once per device (the setting
// belongs to the device's context; a driver call per launch would cost host time each step).
template <auto kKernel>
void ensureSharedMemory(int bytes, const char* kernelName) {
  static std::atomic<unsigned long long> configuredDevices{0};
  const int device = currentDevice();
  const unsigned long long bit = device < kMaxCachedDevices ? 1ull << device : 0;
  if (bit != 0 && (configuredDevices.load(std::memory_order_acquire) & bit) != 0) return;
  check(cudaFuncSetAttribute(kKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes), kernelName);
  configuredDevices.fetch_or(bit, std::memory_order_release);
}

}  // namespace vl2::cuda

#define VL2_CUDA_CHECK(call) ::vl2::cuda::check((call), #call)
