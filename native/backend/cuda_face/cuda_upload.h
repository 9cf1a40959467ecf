// Timing the CUDA backend's weight upload (pinned, double-buffered chunks, see
// cuda/model/device_weights.h) alone, for bench/load.
#pragma once

#include <cstdint>

#include "core/weight_store.h"

namespace vl2 {

struct GpuUploadTiming {
  std::uint64_t bytes = 0;
  double seconds = 0;
};

// Throws Error(kUnsupported) in a build without CUDA, Error(kCuda) without a GPU.
GpuUploadTiming uploadWeightsToGpu(const WeightStore& store);

// The bandwidth ceiling benches compare against: a 2 GiB device-to-device copy on GPU
// `device`, bytes read + written per second (median of 5). Same errors as above.
double measureDeviceCopyBandwidth(int device);

}  // namespace vl2
