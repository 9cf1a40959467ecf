// What the addon can tell about NVIDIA GPUs without touching any model: used to
// report backends and to choose one for device: 'auto'. Implemented in
// backend/cuda/device_query.cu when built with CUDA, else by cuda_devices_absent.cc.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace vl2 {

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  std::size_t totalMemoryBytes = 0;
  std::size_t freeMemoryBytes = 0;
  int computeCapabilityMajor = 0;
  int computeCapabilityMinor = 0;
  int multiprocessorCount = 0;
};

struct CudaAvailability {
  bool compiled = false;   // this binary contains the CUDA backend
  bool available = false;  // a driver and at least one GPU answered
  std::string reason;      // why not, when unavailable
  int driverVersion = 0;   // e.g. 13000 for 13.0
  int runtimeVersion = 0;
  std::vector<CudaDeviceInfo> devices;
};

CudaAvailability queryCudaAvailability();

}  // namespace vl2
