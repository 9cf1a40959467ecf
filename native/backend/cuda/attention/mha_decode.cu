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
  attention::MhaDecodeParams p{};
  static_cast<attention::PagedDecodeSplit&>(p) = attention::planPagedDecode(
      cache, batch, heads, heads, attention::kMhaHeadDim, scale, out, workspace, workspaceBytes);
  p.q = q;
  p.kCache = kCache;
  p.vCache = vCache;
  p.kvHeads = kvHeads;
  const dim3 grid(p.splits, heads, batch);
  attention::mhaDecodeKernel<<<grid, attention::kMhaDecodeThreads, 0, stream>>>(p);
  checkLaunch("mhaDecodeKernel");
  if (p.splits > 1)
    attention::launchSplitCombine(p.partialOut, p.partialLse, batch, heads, attention::kMhaHeadDim, p.splits,
                                  out, stream);
}

}  // namespace vl2::cuda
