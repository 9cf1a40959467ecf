// drawOnDevice (backend/cuda_backend.h): the sampling kernel on copies of one row, for tests.
#include <cstring>

#include "backend/cuda/check.h"
#include "backend/cuda/device_memory.h"
#include "backend/cuda/sampling/sampling.h"
#include "backend/cuda_face/cuda_backend.h"

namespace vl2 {

std::vector<TokenChoice> drawOnDevice(const std::vector<float>& logits, const SamplingParams& params,
                                      std::uint64_t seed, const std::vector<std::int32_t>& seen, int draws) {
  validateSampling(params);
  if (draws < 0 || draws > 1'000'000) fail(ErrorCode::kInvalidArgument, "draws must be in [0, 1e6]");
  if (draws == 0 || logits.empty()) return {};
  const int vocab = static_cast<int>(logits.size());
  cuda::check(cudaSetDevice(0), "cudaSetDevice");
  cuda::DeviceMemory memory(0);
  std::vector<float> rows(static_cast<std::size_t>(draws) * vocab);
  for (int d = 0; d < draws; ++d)
    std::memcpy(rows.data() + static_cast<std::size_t>(d) * vocab, logits.data(), logits.size() * 4);
  std::vector<cuda::SamplingRow> rowParams(static_cast<std::size_t>(draws));
  for (int d = 0; d < draws; ++d) {
    cuda::SamplingRow& p = rowParams[d];
    p.temperature = params.temperature;
    p.topK = params.topK;
    p.topP = params.topP;
    p.minP = params.minP;
    p.repetitionPenalty = params.repetitionPenalty;
    p.seenCount = static_cast<int>(seen.size());
    p.seed = seed;
    p.draw = static_cast<std::uint64_t>(d);
  }
  auto* deviceLogits = static_cast<float*>(memory.allocate(rows.size() * 4, cuda::MemoryUse::kWorkspace));
  auto* deviceParams = static_cast<cuda::SamplingRow*>(
      memory.allocate(rowParams.size() * sizeof(cuda::SamplingRow), cuda::MemoryUse::kWorkspace));
  auto* deviceSeen =
      static_cast<std::int32_t*>(memory.allocate(seen.size() * 4 + 4, cuda::MemoryUse::kWorkspace));
  auto* tokens = static_cast<std::int32_t*>(
      memory.allocate(static_cast<std::size_t>(draws) * 8, cuda::MemoryUse::kWorkspace));
  VL2_CUDA_CHECK(cudaMemcpy(deviceLogits, rows.data(), rows.size() * 4, cudaMemcpyHostToDevice));
  VL2_CUDA_CHECK(cudaMemcpy(deviceParams, rowParams.data(), rowParams.size() * sizeof(cuda::SamplingRow),
                            cudaMemcpyHostToDevice));
  if (!seen.empty())
    VL2_CUDA_CHECK(cudaMemcpy(deviceSeen, seen.data(), seen.size() * 4, cudaMemcpyHostToDevice));
  float* logprobs = reinterpret_cast<float*>(tokens + draws);
  cuda::sampleTokens(deviceLogits, draws, vocab, deviceParams, deviceSeen, nullptr, tokens, logprobs,
                     nullptr);
  std::vector<std::int32_t> result(static_cast<std::size_t>(draws) * 2);
  VL2_CUDA_CHECK(cudaMemcpy(result.data(), tokens, result.size() * 4, cudaMemcpyDeviceToHost));
  std::vector<TokenChoice> out(static_cast<std::size_t>(draws));
  for (int d = 0; d < draws; ++d) {
    out[d].token = result[d];
    std::memcpy(&out[d].logprob, &result[draws + d], 4);
  }
  return out;
}

}  // namespace vl2
