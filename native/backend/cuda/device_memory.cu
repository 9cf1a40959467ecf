// Counted device allocations (see device_memory.h).
#include <cuda_runtime.h>

#include <string>

#include "backend/cuda/check.h"
#include "backend/cuda/device_memory.h"

namespace vl2::cuda {

namespace {

std::string mebibytes(size_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

// Makes `device` current for the scope of one call and restores the caller's device.
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    if (previous_ != device) check(cudaSetDevice(device), "cudaSetDevice");
  }
  ~DeviceScope() { cudaSetDevice(previous_); }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = 0;
};

}  // namespace

const char* memoryUseName(MemoryUse use) {
  switch (use) {
    case MemoryUse::kWeights: return "weights";
    case MemoryUse::kKvCache: return "KV cache";
    case MemoryUse::kActivations: return "activations";
    case MemoryUse::kWorkspace: return "workspace";
  }
  return "unknown";
}

DeviceMemory::DeviceMemory(int device) : device_(device) {}

DeviceMemory::~DeviceMemory() {
  DeviceScope scope(device_);
  for (auto& entry : live_) cudaFree(entry.first);
}

void* DeviceMemory::allocate(size_t bytes, MemoryUse use) {
  DeviceScope scope(device_);
  void* pointer = nullptr;
  const cudaError_t status = cudaMalloc(&pointer, bytes == 0 ? 1 : bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t freeBytes = 0, totalBytes = 0;
    cudaMemGetInfo(&freeBytes, &totalBytes);
    fail(ErrorCode::kOutOfMemory, "CUDA: out of GPU memory allocating " + mebibytes(bytes) + " for " +
                                      memoryUseName(use) + " on device " + std::to_string(device_) + " (" +
                                      mebibytes(freeBytes) + " free of " + mebibytes(totalBytes) +
                                      "; this engine holds " + mebibytes(totalBytesInUse()) + ")");
  }
  check(status, "cudaMalloc");
  std::lock_guard<std::mutex> lock(mutex_);
  live_[pointer] = {bytes, use};
  inUse_[static_cast<int>(use)] += bytes;
  total_ += bytes;
  if (total_ > peak_) peak_ = total_;
  return pointer;
}

void DeviceMemory::release(void* pointer) {
  if (pointer == nullptr) return;
  Allocation allocation{};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = live_.find(pointer);
    if (found == live_.end())
      fail(ErrorCode::kInternal, "CUDA: release of a pointer DeviceMemory did not allocate");
    allocation = found->second;
    live_.erase(found);
    inUse_[static_cast<int>(allocation.use)] -= allocation.bytes;
    total_ -= allocation.bytes;
  }
  DeviceScope scope(device_);
  check(cudaFree(pointer), "cudaFree");
}

size_t DeviceMemory::bytesInUse(MemoryUse use) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return inUse_[static_cast<int>(use)];
}

size_t DeviceMemory::totalBytesInUse() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_;
}

size_t DeviceMemory::peakBytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peak_;
}

}  // namespace vl2::cuda
