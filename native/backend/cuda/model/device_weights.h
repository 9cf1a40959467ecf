// The checkpoint's tensors in GPU memory: one allocation holding every tensor (256-byte
// aligned), filled through pinned, double-buffered 64 MB staging chunks so reading the
// mapped file overlaps the transfer; plus small tensors derived at load (transposes,
// fp32 copies, pointer tables), each its own counted allocation.
#pragma once

#include <cuda_bf16.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "backend/cuda/device_memory.h"
#include "core/weight_store.h"

namespace vl2::cuda {

class DeviceWeights {
 public:
  DeviceWeights(const WeightStore& store, DeviceMemory& memory);
  DeviceWeights(const DeviceWeights&) = delete;
  DeviceWeights& operator=(const DeviceWeights&) = delete;

  // The device copy of a checkpoint tensor (bf16; the store already checked names and shapes).
  const __nv_bfloat16* bf16(const std::string& name) const;
  const __nv_bfloat16* bf16OrNull(const std::string& name) const;  // null when absent
  // Copies a host array made at load time to the device (counted as weights).
  template <class T>
  const T* upload(const std::vector<T>& host) {
    return static_cast<const T*>(uploadBytes(host.data(), host.size() * sizeof(T)));
  }

  std::uint64_t checkpointBytes() const { return checkpointBytes_; }
  double uploadSeconds() const { return uploadSeconds_; }

 private:
  const void* uploadBytes(const void* host, std::size_t bytes);

  DeviceMemory& memory_;
  std::unordered_map<std::string, const void*> byName_;
  std::uint64_t checkpointBytes_ = 0;
  double uploadSeconds_ = 0;
};

}  // namespace vl2::cuda
