#include "engine/kv_cache.h"

#include "core/errors.h"

namespace vl2 {

KvCache::KvCache(int layers, int width, std::int64_t blocks)
    : layers_(layers), width_(width), totalBlocks_(blocks) {
  if (blocks <= 0 || blocks > INT32_MAX)
    fail(ErrorCode::kInvalidArgument, "the KV cache needs at least one block");
  storage_.resize(static_cast<std::size_t>(blocks * layers * kKvBlockTokens * width));
  freeBlocks_.reserve(static_cast<std::size_t>(blocks));
  for (std::int64_t b = blocks - 1; b >= 0; --b) freeBlocks_.push_back(static_cast<std::int32_t>(b));
}

bool KvCache::reserve(SequenceBlocks& sequence, std::int64_t tokens) {
  const std::size_t needed = static_cast<std::size_t>((tokens + kKvBlockTokens - 1) / kKvBlockTokens);
  if (needed <= sequence.blockTable.size()) return true;
  if (needed - sequence.blockTable.size() > freeBlocks_.size()) return false;
  while (sequence.blockTable.size() < needed) {
    sequence.blockTable.push_back(freeBlocks_.back());
    freeBlocks_.pop_back();
  }
  return true;
}

void KvCache::release(SequenceBlocks& sequence) {
  for (std::int32_t block : sequence.blockTable) freeBlocks_.push_back(block);
  sequence.blockTable.clear();
  sequence.length = 0;
}

}  // namespace vl2
