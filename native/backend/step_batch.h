// The rows one forward step runs: several sequences' new tokens stacked into one
// [rows, hidden] matrix, so every projection is one GEMM over all of them
// (continuous batching), while attention reads each sequence's own cache.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/paged_kv.h"

namespace vl2 {

struct BatchSegment {
  SequenceBlocks* sequence = nullptr;
  std::int64_t start = 0;     // position of the first new token (tokens already cached)
  std::int64_t count = 0;     // new tokens of this sequence in this step
  std::int64_t firstRow = 0;  // their first row in the stacked matrix
};

struct StepBatch {
  std::vector<BatchSegment> segments;
  std::vector<std::int32_t> positions;  // [rows]
  std::int64_t rows() const { return static_cast<std::int64_t>(positions.size()); }
  // The row of each segment's last token (whose logits a step returns), in segment order.
  std::vector<std::int64_t> segmentLastRows() const {
    std::vector<std::int64_t> last;
    for (const BatchSegment& segment : segments) last.push_back(segment.firstRow + segment.count - 1);
    return last;
  }
};

}  // namespace vl2
