// Multi-head decode launcher (see attention.h, mha_decode.cuh).
#include "backend/cuda/attention/attention.h"
#include "backend/cuda/attention/mha_decode.cuh"
#include "backend/cuda/attention/split_plan.h"
#include "backend/cuda/check.h"

namespace vl2::cuda {

void mhaDecode(const __nv_bfloat16* q, const __nv_bfloat16* kCache, const __nv_bfloat16* vCache,
               const PagedCache& cache, int batch, int heads, int kvHeads, float scale, __nv_bfloat16* out,
               void* workspace, size_t workspaceBytes, cudaStream_t stream) {
  require(heads > 0 && kvHeads > 0 && heads % kvHeads == 0,
          "MHA decode: heads must be a multiple of kvHeads");
  require(batch >= 0 && cache.maxSeqLen >= 0, "MHA decode sizes");
  if (batch == 0) return;
  const attention::SplitPlan plan =
      attention::planSplits(batch, heads, cache.maxSeqLen, multiprocessorCount());
  require(plan.splits == 1 ||
              workspaceBytes >= attention::partialBytes(batch, heads, attention::kMhaHeadDim, plan.splits),
          "MHA decode workspace too small (decodeWorkspaceBytes)");
  attention::MhaDecodeParams p{};
  p.q = q;
  p.kCache = kCache;
  p.vCache = vCache;
  p.blockTable = cache.blockTable;
  p.maxBlocksPerSequence = cache.maxBlocksPerSequence;
  p.seqLens = cache.seqLens;
  p.heads = heads;
  p.kvHeads = kvHeads;
  p.scale = scale;
  p.tokensPerSplit = plan.tokensPerSplit;
  p.splits = plan.splits;
  p.out = out;
  p.partialOut = static_cast<float*>(workspace);
  p.partialLse =
      p.partialOut + attention::partialOutputFloats(batch, heads, attention::kMhaHeadDim, plan.splits);
  attention::mhaDecodeKernel<<<dim3(plan.splits, heads, batch), attention::kMhaDecodeThreads, 0, stream>>>(p);
  checkLaunch("mhaDecodeKernel");
  if (plan.splits > 1)
    attention::launchSplitCombine(p.partialOut, p.partialLse, batch, heads, attention::kMhaHeadDim,
                                  plan.splits, out, stream);
}

}  // namespace vl2::cuda
