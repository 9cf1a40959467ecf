// What a backend needs to read and write the paged KV cache: its block size and a sequence's
// block table. The blocks themselves are handed out by the Model (model/kv_block_allocator.h);
// each backend owns the storage the tables index (fp32 host memory on the CPU, bf16 device
// memory on the GPU). What a token keeps per layer is the cache width: the MLA latent plus the
// rope key (kv_lora_rank + qk_rope_head_dim), or K and V for plain multi-head attention.
#pragma once

#include <cstdint>
#include <vector>

namespace vl2 {

constexpr int kKvBlockTokens = 64;

struct SequenceBlocks {
  std::vector<std::int32_t> blockTable;  // logical block i of the sequence -> physical block
  std::int64_t length = 0;               // tokens cached
};

}  // namespace vl2
