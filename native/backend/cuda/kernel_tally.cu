// A fixed open-addressing table keyed by the name's address: a launch costs one probe and one
// relaxed increment, no lock, so counting stays on in production builds.
#include <atomic>
#include <cstdint>
#include <map>

#include "backend/cuda/kernel_tally.h"
#include "backend/cuda_face/cuda_kernel_launches.h"

namespace vl2::cuda {

namespace {

// Far more slots than the backend has launch sites, so probes stay short and never fill up.
constexpr int kTallySlots = 1024;

struct TallySlot {
  std::atomic<const char*> name{nullptr};
  std::atomic<std::uint64_t> launches{0};
};

TallySlot slots[kTallySlots];

}  // namespace

void tallyLaunch(const char* kernelName) {
  const auto address = reinterpret_cast<std::uintptr_t>(kernelName);
  for (int probe = 0; probe < kTallySlots; ++probe) {
    TallySlot& slot = slots[(address / 8 + probe) % kTallySlots];
    const char* held = slot.name.load(std::memory_order_acquire);
    if (held == nullptr) {
      const char* expected = nullptr;
      if (slot.name.compare_exchange_strong(expected, kernelName, std::memory_order_acq_rel))
        held = kernelName;
      else
        held = expected;
    }
    if (held == kernelName) {
      slot.launches.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

}  // namespace vl2::cuda

namespace vl2 {

std::vector<std::pair<std::string, std::uint64_t>> cudaKernelLaunches() {
  std::map<std::string, std::uint64_t> byName;
  for (const cuda::TallySlot& slot : cuda::slots) {
    const char* name = slot.name.load(std::memory_order_acquire);
    const std::uint64_t launches = slot.launches.load(std::memory_order_relaxed);
    if (name != nullptr && launches > 0) byName[name] += launches;
  }
  return {byName.begin(), byName.end()};
}

void resetCudaKernelLaunches() {
  for (cuda::TallySlot& slot : cuda::slots) slot.launches.store(0, std::memory_order_relaxed);
}

}  // namespace vl2
