#include <chrono>
#include <cstring>

#include "backend/cuda/check.h"
#include "backend/cuda/model/device_weights.h"

namespace vl2::cuda {
namespace {

// Large enough that each cudaMemcpyAsync runs near the link's bandwidth; two of them let the
// CPU fill one while the other is in flight.
constexpr std::size_t kStagingBytes = 64ull << 20;
constexpr std::size_t kAlignment = 256;

std::size_t alignUp(std::size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

struct Staging {
  void* host[2] = {nullptr, nullptr};
  cudaEvent_t done[2] = {nullptr, nullptr};
  cudaStream_t stream = nullptr;
  ~Staging() {
    if (stream) cudaStreamSynchronize(stream);
    for (int i = 0; i < 2; ++i) {
      if (done[i]) cudaEventDestroy(done[i]);
      if (host[i]) cudaFreeHost(host[i]);
    }
    if (stream) cudaStreamDestroy(stream);
  }
};

}  // namespace

DeviceWeights::DeviceWeights(const WeightStore& store, DeviceMemory& memory) : memory_(memory) {
  std::uint64_t total = 0;
  store.forEach([&](const WeightView& view) { total += alignUp(view.numel() * dtypeSize(view.dtype)); });
  char* device = static_cast<char*>(memory_.allocate(total, MemoryUse::kWeights));
  checkpointBytes_ = total;
  Staging s;
  for (int i = 0; i < 2; ++i) {
    VL2_CUDA_CHECK(cudaHostAlloc(&s.host[i], kStagingBytes, cudaHostAllocDefault));
    VL2_CUDA_CHECK(cudaEventCreateWithFlags(&s.done[i], cudaEventDisableTiming));
  }
  VL2_CUDA_CHECK(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));

  const auto started = std::chrono::steady_clock::now();
  int slot = 0;
  std::size_t filled = 0;
  std::uint64_t submitted = 0;  // device offset of the staging buffer's first byte
  auto submit = [&]() {
    if (filled == 0) return;
    VL2_CUDA_CHECK(
        cudaMemcpyAsync(device + submitted, s.host[slot], filled, cudaMemcpyHostToDevice, s.stream));
    VL2_CUDA_CHECK(cudaEventRecord(s.done[slot], s.stream));
    submitted += filled;
    filled = 0;
    slot ^= 1;
    VL2_CUDA_CHECK(cudaEventSynchronize(s.done[slot]));  // the buffer filled next is free again
  };
  // Tensors are packed in the staging stream with their alignment padding, so each lands at
  // its aligned device offset.
  store.forEach([&](const WeightView& view) {
    const std::size_t bytes = view.numel() * dtypeSize(view.dtype);
    byName_[*view.name] = device + submitted + filled;
    const char* src = static_cast<const char*>(view.data);
    std::size_t remaining = alignUp(bytes);
    std::size_t copied = 0;
    while (remaining > 0) {
      const std::size_t n = std::min(remaining, kStagingBytes - filled);
      char* dst = static_cast<char*>(s.host[slot]) + filled;
      const std::size_t real = copied < bytes ? std::min(n, bytes - copied) : 0;
      std::memcpy(dst, src + copied, real);
      std::memset(dst + real, 0, n - real);
      copied += n;
      filled += n;
      remaining -= n;
      if (filled == kStagingBytes) submit();
    }
  });
  submit();
  VL2_CUDA_CHECK(cudaStreamSynchronize(s.stream));
  uploadSeconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

const __nv_bfloat16* DeviceWeights::bf16OrNull(const std::string& name) const {
  const auto found = byName_.find(name);
  return found == byName_.end() ? nullptr : static_cast<const __nv_bfloat16*>(found->second);
}

const __nv_bfloat16* DeviceWeights::bf16(const std::string& name) const {
  const __nv_bfloat16* pointer = bf16OrNull(name);
  if (pointer == nullptr) fail(ErrorCode::kCheckpoint, "missing tensor " + name);
  return pointer;
}

const void* DeviceWeights::uploadBytes(const void* host, std::size_t bytes) {
  void* device = memory_.allocate(bytes, MemoryUse::kWeights);
  VL2_CUDA_CHECK(cudaMemcpy(device, host, bytes, cudaMemcpyHostToDevice));
  return device;
}

}  // namespace vl2::cuda
