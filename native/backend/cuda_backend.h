// The CUDA backend's factory. Implemented in backend/cuda/model/ when built with CUDA,
// else by cuda_backend_absent.cc, which says why it cannot run.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "core/model_config.h"
#include "core/weight_store.h"

namespace vl2 {

// Uploads the weights to GPU `device` and returns the backend computing on it. Throws
// Error(kUnsupported) in a build without CUDA, Error(kCuda) without a usable GPU and
// Error(kOutOfMemory) when the weights do not fit.
std::unique_ptr<ModelBackend> createCudaBackend(const WeightStore& store, const ModelConfig& config,
                                                int device);

}  // namespace vl2
