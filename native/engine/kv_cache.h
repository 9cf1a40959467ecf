// The paged KV cache: fixed blocks of kKvBlockTokens tokens, handed out by a free
// list, and a block table per sequence. One block holds every layer's entries
// for its tokens, so freeing a sequence returns whole blocks. What a token keeps
// per layer is `width` values: the MLA latent plus the rope key
// (kv_lora_rank + qk_rope_head_dim), or K and V for plain multi-head attention.
// The CPU backend stores fp32 (the reference's precision); the CUDA backend bf16.
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

namespace vl2 {

constexpr int kKvBlockTokens = 64;

struct SequenceBlocks {
  std::vector<std::int32_t> blockTable;  // logical block i of the sequence -> physical block
  std::int64_t length = 0;               // tokens cached
};

class KvCache {
 public:
  // Where the values live: fp32 in this object (the CPU backend), or bf16 in device
  // memory the CUDA backend owns and indexes with these block tables.
  enum class Storage { kHostFloat, kDeviceBf16 };
  KvCache(int layers, int width, std::int64_t blocks, Storage storage = Storage::kHostFloat);

  std::int64_t totalBlocks() const { return totalBlocks_; }
  std::int64_t freeBlockCount() const { return static_cast<std::int64_t>(freeBlocks_.size()); }
  std::int64_t capacityTokens() const { return totalBlocks() * kKvBlockTokens; }
  std::int64_t bytesPerToken() const {
    return static_cast<std::int64_t>(layers_) * width_ * (storage_ == Storage::kHostFloat ? 4 : 2);
  }
  int width() const { return width_; }

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

  // The `width` values of token `position` of a sequence at `layer` (host storage only).
  float* slot(const SequenceBlocks& sequence, int layer, std::int64_t position) {
    const std::int32_t block = sequence.blockTable[static_cast<std::size_t>(position / kKvBlockTokens)];
    return hostValues_.data() + ((static_cast<std::int64_t>(block) * layers_ + layer) * kKvBlockTokens +
                                 position % kKvBlockTokens) *
                                    width_;
  }

 private:
  int layers_;
  int width_;
  std::int64_t totalBlocks_;
  Storage storage_;
  std::vector<float> hostValues_;
  std::deque<std::int32_t> freeBlocks_;  // taken from the back; registered blocks wait at the front
  std::vector<std::int32_t> references_;
  std::vector<std::uint64_t> blockHash_;  // 0: not registered
  std::unordered_map<std::uint64_t, std::int32_t> registered_;
  std::int64_t prefixHitBlocks_ = 0;
};

}  // namespace vl2
