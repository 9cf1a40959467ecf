#include <algorithm>

#include "backend/cuda/model/scratch.h"
#include "core/errors.h"

namespace vl2::cuda {
namespace {
constexpr std::size_t kAlignment = 256;
constexpr std::size_t kMinChunk = 16ull << 20;
}  // namespace

Scratch::~Scratch() {
  for (const Chunk& chunk : chunks_) {
    try {
      memory_.release(chunk.base);
    } catch (...) {  // a destructor must not throw; the context going away frees it anyway
    }
  }
}

void* Scratch::takeBytes(std::size_t bytes) {
  bytes = (std::max<std::size_t>(bytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  if (chunks_.empty() || chunks_.back().used + bytes > chunks_.back().size) {
    const std::size_t size = std::max(bytes, kMinChunk);
    chunks_.push_back(Chunk{static_cast<char*>(memory_.allocate(size, MemoryUse::kActivations)), size, 0});
    generation_++;
  }
  Chunk& chunk = chunks_.back();
  void* pointer = chunk.base + chunk.used;
  chunk.used += bytes;
  return pointer;
}

void Scratch::reset() {
  if (chunks_.size() > 1) {
    std::size_t total = 0;
    for (const Chunk& chunk : chunks_) {
      total += chunk.size;
      memory_.release(chunk.base);
    }
    chunks_.clear();
    chunks_.push_back(Chunk{static_cast<char*>(memory_.allocate(total, MemoryUse::kActivations)), total, 0});
    generation_++;
  }
  for (Chunk& chunk : chunks_) chunk.used = 0;
}

std::size_t Scratch::singleChunkUsed() const { return chunks_.size() == 1 ? chunks_[0].used : SIZE_MAX; }

void Scratch::skipTo(std::size_t used) {
  if (chunks_.size() != 1 || used > chunks_[0].size) fail(ErrorCode::kInternal, "scratch mark out of range");
  chunks_[0].used = used;
}

std::size_t Scratch::capacityBytes() const {
  std::size_t total = 0;
  for (const Chunk& chunk : chunks_) total += chunk.size;
  return total;
}

}  // namespace vl2::cuda
