// Copying a checkpoint's weights to GPU memory in large chunks (pinned staging
// buffers, double buffered, so reading the mapped file overlaps the transfer).
// Today it measures the upload for bench/load; the CUDA backend's weight loading
// will keep the buffer instead of freeing it.
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

}  // namespace vl2
