// Device allocations of the CUDA backend, counted by purpose, so the engine can report GPU
// memory (weights, KV cache, activations, workspaces) and fail a too-large request with a
// typed error that says how much was asked for and how much the device had free.
#pragma once

#include <array>
#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace vl2::cuda {

enum class MemoryUse { kWeights, kKvCache, kActivations, kWorkspace };
constexpr int kMemoryUseCount = 4;
const char* memoryUseName(MemoryUse use);

class DeviceMemory {
 public:
  explicit DeviceMemory(int device);
  ~DeviceMemory();  // frees whatever is still allocated
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  // cudaMalloc on this object's device; throws vl2::Error(kOutOfMemory) when it cannot.
  void* allocate(size_t bytes, MemoryUse use);
  // Frees a pointer from allocate(); null is ignored, an unknown pointer is kInternal.
  void release(void* pointer);

  size_t bytesInUse(MemoryUse use) const;
  size_t totalBytesInUse() const;
  size_t peakBytes() const;  // most bytes in use at once since construction

 private:
  struct Allocation {
    size_t bytes;
    MemoryUse use;
  };
  int device_;
  mutable std::mutex mutex_;
  std::unordered_map<void*, Allocation> live_;
  std::array<size_t, kMemoryUseCount> inUse_{};
  size_t total_ = 0;
  size_t peak_ = 0;
};

}  // namespace vl2::cuda
