// Checks the counted device allocations: per-use totals, peak, release, and the typed
// out-of-memory error for a request no GPU can satisfy.
#include "backend/cuda/device_memory.h"
#include "harness.h"

namespace bench {

namespace {

void expect(const std::string& name, bool passed) {
  checks().push_back({name, passed ? 0.0 : INFINITY, passed});
  std::printf("check %-52s %s\n", name.c_str(), passed ? "ok" : "FAIL");
}

}  // namespace

void runMemory() {
  using vl2::cuda::MemoryUse;
  vl2::cuda::DeviceMemory memory(0);
  void* weights = memory.allocate(3 << 20, MemoryUse::kWeights);
  void* cache = memory.allocate(5 << 20, MemoryUse::kKvCache);
  void* scratch = memory.allocate(1 << 20, MemoryUse::kWorkspace);
  expect("device memory counts by use", memory.bytesInUse(MemoryUse::kWeights) == (3u << 20) &&
                                            memory.bytesInUse(MemoryUse::kKvCache) == (5u << 20) &&
                                            memory.bytesInUse(MemoryUse::kWorkspace) == (1u << 20) &&
                                            memory.totalBytesInUse() == (9u << 20));
  memory.release(cache);
  memory.release(scratch);
  expect("device memory release and peak", memory.totalBytesInUse() == (3u << 20) &&
                                               memory.bytesInUse(MemoryUse::kKvCache) == 0 &&
                                               memory.peakBytes() == (9u << 20));
  bool typed = false;
  try {
    memory.allocate(1ull << 50, MemoryUse::kActivations);
  } catch (const vl2::Error& e) {
    typed = e.code() == vl2::ErrorCode::kOutOfMemory;
    std::printf("  (expected) %s\n", e.what());
  }
  expect("device memory out-of-memory is a typed error", typed && memory.totalBytesInUse() == (3u << 20));
  memory.release(weights);
}

}  // namespace bench
