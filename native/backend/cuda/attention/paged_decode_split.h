// The fields the paged decode kernels share (see split_plan.h for how they are planned).
#pragma once

#include <cuda_bf16.h>

#include <cstdint>

namespace vl2::cuda::attention {

// What every paged decode kernel (MHA and MLA) reads besides its own tensors: each sequence's
// blocks and length, how its tokens are split over thread blocks, and where the result (one
// split) or the partial results (several, merged by launchSplitCombine) go.
struct PagedDecodeSplit {
  const int32_t* blockTable;  // [batch, maxBlocksPerSequence]
  int maxBlocksPerSequence;
  const int32_t* seqLens;  // [batch]
  int heads;
  float scale;
  int tokensPerSplit;
  int splits;
  __nv_bfloat16* out;  // [batch, heads, valueDim] when splits == 1
  float* partialOut;   // [batch, splits, heads, valueDim]
  float* partialLse;   // [batch, splits, heads]
};

}  // namespace vl2::cuda::attention
