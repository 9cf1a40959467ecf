#include <chrono>
#include <cstring>

#include "backend/cuda/check.h"
#include "backend/cuda_upload.h"

namespace vl2 {
namespace {

// Large enough that each cudaMemcpyAsync runs near the link's bandwidth; two of
// them let the CPU fill one while the other is in flight.
constexpr std::size_t kStagingBytes = 64ull << 20;

struct Staging {
  void* host[2] = {nullptr, nullptr};
  cudaEvent_t done[2] = {nullptr, nullptr};
  cudaStream_t stream = nullptr;
  void* device = nullptr;
  ~Staging() {
    for (int i = 0; i < 2; ++i) {
      if (done[i]) cudaEventDestroy(done[i]);
      if (host[i]) cudaFreeHost(host[i]);
    }
    if (stream) cudaStreamDestroy(stream);
    if (device) cudaFree(device);
  }
};

}  // namespace

GpuUploadTiming uploadWeightsToGpu(const WeightStore& store) {
  std::uint64_t total = 0;
  store.forEach([&](const WeightView& view) { total += view.numel() * dtypeSize(view.dtype); });
  Staging s;
  VL2_CUDA_CHECK(cudaMalloc(&s.device, total));
  for (int i = 0; i < 2; ++i) {
    VL2_CUDA_CHECK(cudaHostAlloc(&s.host[i], kStagingBytes, cudaHostAllocDefault));
    VL2_CUDA_CHECK(cudaEventCreateWithFlags(&s.done[i], cudaEventDisableTiming));
  }
  VL2_CUDA_CHECK(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));

  const auto started = std::chrono::steady_clock::now();
  int slot = 0;
  std::size_t filled = 0;
  std::uint64_t deviceOffset = 0;
  auto submit = [&]() {
    if (filled == 0) return;
    VL2_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(s.device) + deviceOffset, s.host[slot], filled,
                                   cudaMemcpyHostToDevice, s.stream));
    VL2_CUDA_CHECK(cudaEventRecord(s.done[slot], s.stream));
    deviceOffset += filled;
    filled = 0;
    slot ^= 1;
    VL2_CUDA_CHECK(cudaEventSynchronize(s.done[slot]));  // the buffer we fill next is free again
  };
  store.forEach([&](const WeightView& view) {
    const char* src = static_cast<const char*>(view.data);
    std::size_t remaining = view.numel() * dtypeSize(view.dtype);
    while (remaining > 0) {
      const std::size_t n = std::min(remaining, kStagingBytes - filled);
      std::memcpy(static_cast<char*>(s.host[slot]) + filled, src, n);
      filled += n;
      src += n;
      remaining -= n;
      if (filled == kStagingBytes) submit();
    }
  });
  submit();
  VL2_CUDA_CHECK(cudaStreamSynchronize(s.stream));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return GpuUploadTiming{total, seconds};
}

}  // namespace vl2
