// The CPU backend's KV cache storage: fp32 (the reference's precision), block-major so that
// one block holds every layer's entries for its tokens, indexed by the Model's block tables.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/paged_kv.h"

namespace vl2 {

class HostKvCache {
 public:
  // Throws std::bad_alloc when the host has no room for `blocks` blocks.
  HostKvCache(int layers, int width, std::int64_t blocks)
      : layers_(layers),
        width_(width),
        values_(static_cast<std::size_t>(blocks * layers * kKvBlockTokens * width)) {}

  // The `width` values of token `position` of a sequence at `layer`.
  float* slot(const SequenceBlocks& sequence, int layer, std::int64_t position) {
    const std::int32_t block = sequence.blockTable[static_cast<std::size_t>(position / kKvBlockTokens)];
    return values_.data() + ((static_cast<std::int64_t>(block) * layers_ + layer) * kKvBlockTokens +
                             position % kKvBlockTokens) *
                                width_;
  }

 private:
  int layers_;
  int width_;
  std::vector<float> values_;
};

}  // namespace vl2
