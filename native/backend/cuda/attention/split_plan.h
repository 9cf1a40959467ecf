// How a decode launch splits each sequence, and where its partial results live.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

#include "backend/cuda/attention/attention.h"
#include "backend/cuda/attention/config.h"
#include "backend/cuda/attention/paged_decode_split.h"
#include "backend/cuda/check.h"

namespace vl2::cuda::attention {

struct SplitPlan {
  int splits = 1;
  int tokensPerSplit = 0;  // a multiple of the page size
};

// unitsPerSplit: blocks one split of one sequence occupies (heads for MHA, 1 for MLA).
inline SplitPlan planSplits(int batch, int unitsPerSequence, int maxSeqLen, int multiprocessors) {
  const int pages = std::max(1, (maxSeqLen + kPageTokens - 1) / kPageTokens);
  const int target = kDecodeBlocksPerSm * multiprocessors;
  const int wanted = (target + batch * unitsPerSequence - 1) / (batch * unitsPerSequence);
  SplitPlan plan;
  plan.splits = std::max(1, std::min({wanted, pages, kMaxSplits}));
  const int pagesPerSplit = (pages + plan.splits - 1) / plan.splits;
  plan.splits = (pages + pagesPerSplit - 1) / pagesPerSplit;
  plan.tokensPerSplit = pagesPerSplit * kPageTokens;
  return plan;
}

// Partial outputs: o [batch, splits, heads, valueDim] fp32, normalised; lse [batch, splits,
// heads] fp32 (-inf for an empty split).
inline size_t partialOutputFloats(int batch, int heads, int valueDim, int splits) {
  return static_cast<size_t>(batch) * splits * heads * valueDim;
}
inline size_t partialBytes(int batch, int heads, int valueDim, int splits) {
  return (partialOutputFloats(batch, heads, valueDim, splits) + static_cast<size_t>(batch) * splits * heads) *
         sizeof(float);
}

// Plans the split of a decode launch and fills the shared fields.
inline PagedDecodeSplit planPagedDecode(const PagedCache& cache, int batch, int heads, int unitsPerSequence,
                                        int valueDim, float scale, __nv_bfloat16* out, void* workspace,
                                        size_t workspaceBytes) {
  const SplitPlan plan = planSplits(batch, unitsPerSequence, cache.maxSeqLen, multiprocessorCount());
  require(plan.splits == 1 || workspaceBytes >= partialBytes(batch, heads, valueDim, plan.splits),
          "paged decode workspace too small (decodeWorkspaceBytes)");
  PagedDecodeSplit split{};
  split.blockTable = cache.blockTable;
  split.maxBlocksPerSequence = cache.maxBlocksPerSequence;
  split.seqLens = cache.seqLens;
  split.heads = heads;
  split.scale = scale;
  split.tokensPerSplit = plan.tokensPerSplit;
  split.splits = plan.splits;
  split.out = out;
  split.partialOut = static_cast<float*>(workspace);
  split.partialLse = split.partialOut + partialOutputFloats(batch, heads, valueDim, plan.splits);
  return split;
}

// out[b, h, :] = sum_s exp(lse_s - max) o_s / sum_s exp(lse_s - max).
void launchSplitCombine(const float* partialOut, const float* partialLse, int batch, int heads, int valueDim,
                        int splits, __nv_bfloat16* out, cudaStream_t stream);

}  // namespace vl2::cuda::attention
