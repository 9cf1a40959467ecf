#include "model/kv_block_allocator.h"

#include "core/errors.h"

namespace vl2 {

KvBlockAllocator::KvBlockAllocator(std::int64_t blocks) : totalBlocks_(blocks) {
  if (blocks <= 0 || blocks > INT32_MAX)
    fail(ErrorCode::kInvalidArgument, "the KV cache needs at least one block");
  for (std::int64_t b = blocks - 1; b >= 0; --b) freeBlocks_.push_back(static_cast<std::int32_t>(b));
  references_.assign(static_cast<std::size_t>(blocks), 0);
  blockHash_.assign(static_cast<std::size_t>(blocks), 0);
}

bool KvBlockAllocator::reserve(SequenceBlocks& sequence, std::int64_t tokens) {
  const std::size_t needed = static_cast<std::size_t>((tokens + kKvBlockTokens - 1) / kKvBlockTokens);
  if (needed <= sequence.blockTable.size()) return true;
  if (needed - sequence.blockTable.size() > freeBlocks_.size()) return false;
  while (sequence.blockTable.size() < needed) {
    const std::int32_t block = freeBlocks_.back();
    freeBlocks_.pop_back();
    if (blockHash_[block] != 0) {  // its cached contents are overwritten now
      registered_.erase(blockHash_[block]);
      blockHash_[block] = 0;
    }
    references_[block] = 1;
    sequence.blockTable.push_back(block);
  }
  return true;
}

void KvBlockAllocator::release(SequenceBlocks& sequence) {
  for (std::int32_t block : sequence.blockTable) {
    if (--references_[block] > 0) continue;
    if (blockHash_[block] != 0) {
      freeBlocks_.push_front(block);
    } else {
      freeBlocks_.push_back(block);
    }
  }
  sequence.blockTable.clear();
  sequence.length = 0;
}

std::int64_t KvBlockAllocator::adoptPrefix(SequenceBlocks& sequence,
                                           const std::vector<std::uint64_t>& blockHashes,
                                           std::int64_t maxBlocks) {
  std::int64_t matched = 0;
  for (std::uint64_t hash : blockHashes) {
    if (matched >= maxBlocks) break;
    auto it = registered_.find(hash);
    if (it == registered_.end()) break;
    const std::int32_t block = it->second;
    if (references_[block]++ == 0) {
      for (auto f = freeBlocks_.begin(); f != freeBlocks_.end(); ++f) {
        if (*f == block) {
          freeBlocks_.erase(f);
          break;
        }
      }
    }
    sequence.blockTable.push_back(block);
    ++matched;
  }
  prefixHitBlocks_ += matched;
  return matched;
}

void KvBlockAllocator::registerPrefix(const SequenceBlocks& sequence,
                                      const std::vector<std::uint64_t>& blockHashes) {
  for (std::size_t i = 0; i < blockHashes.size() && i < sequence.blockTable.size(); ++i) {
    const std::int32_t block = sequence.blockTable[i];
    if (blockHash_[block] != 0 || registered_.count(blockHashes[i])) continue;
    blockHash_[block] = blockHashes[i];
    registered_.emplace(blockHashes[i], block);
  }
}

}  // namespace vl2
