// Hands out the paged KV cache's blocks: fixed blocks of kKvBlockTokens tokens from a free
// list, and a block table per sequence. One block holds every layer's entries for its tokens,
// so freeing a sequence returns whole blocks. The values live in the backend's storage
// (ModelBackend::createCache), which these tables index.
//
// Prefix caching: a full block of a prompt is registered under a hash of
// everything before and in it (token ids, and image content for image tokens).
// A later prompt with the same prefix takes those blocks instead of computing
// them (reference counted; a shared block is never written: only whole prompt
// blocks are shared, and new tokens always land in blocks of their own). Freed
// registered blocks stay findable until their memory is needed again; blocks
// that hold nothing reusable are handed out first.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "backend/paged_kv.h"

namespace vl2 {

class KvBlockAllocator {
 public:
  explicit KvBlockAllocator(std::int64_t blocks);

  std::int64_t totalBlocks() const { return totalBlocks_; }
  std::int64_t freeBlockCount() const { return static_cast<std::int64_t>(freeBlocks_.size()); }
  std::int64_t capacityTokens() const { return totalBlocks() * kKvBlockTokens; }

  // Grows the sequence's table to hold `tokens` tokens; false (and no change) when
  // too few blocks are free.
  bool reserve(SequenceBlocks& sequence, std::int64_t tokens);
  void release(SequenceBlocks& sequence);

  // Appends to an empty sequence's table the registered blocks matching the
  // leading hashes, at most maxBlocks; returns how many matched.
  std::int64_t adoptPrefix(SequenceBlocks& sequence, const std::vector<std::uint64_t>& blockHashes,
                           std::int64_t maxBlocks);
  // Registers the sequence's first blockHashes.size() blocks (full, computed) for reuse.
  void registerPrefix(const SequenceBlocks& sequence, const std::vector<std::uint64_t>& blockHashes);
  std::int64_t prefixHitBlocks() const { return prefixHitBlocks_; }

 private:
  std::int64_t totalBlocks_;
  std::deque<std::int32_t> freeBlocks_;  // taken from the back; registered blocks wait at the front
  std::vector<std::int32_t> references_;
  std::vector<std::uint64_t> blockHash_;  // 0: not registered
  std::unordered_map<std::uint64_t, std::int32_t> registered_;
  std::int64_t prefixHitBlocks_ = 0;
};

}  // namespace vl2
