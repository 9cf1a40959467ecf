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

// The GPU sampler alone, for tests: `draws` tokens drawn on device 0 from copies of `logits`,
// draw i with counter i of `seed`. Same errors as above.
std::vector<TokenChoice> drawOnDevice(const std::vector<float>& logits, const SamplingParams& params,
                                      std::uint64_t seed, const std::vector<std::int32_t>& seen, int draws);

}  // namespace vl2
