// MLA decode launcher (see attention.h, mla_decode.cuh).
#include "backend/cuda/attention/attention.h"
#include "backend/cuda/attention/mla_decode.cuh"
#include "backend/cuda/attention/split_plan.h"
#include "backend/cuda/check.h"

namespace vl2::cuda {

namespace {

template <int kHeadTiles>
void launchMla(const attention::MlaDecodeParams& p, int batch, cudaStream_t stream) {
  constexpr int kSmem = attention::mlaDecodeSmemBytes<kHeadTiles>();
  constexpr auto kernel = attention::mlaDecodeKernel<kHeadTiles>;
  ensureSharedMemory<kernel>(kSmem, "mlaDecodeKernel shared memory");
  kernel<<<dim3(p.splits, batch), attention::kMlaDecodeThreads, kSmem, stream>>>(p);
  checkLaunch("mlaDecodeKernel");
}

}  // namespace

void mlaDecode(const __nv_bfloat16* qLatent, const __nv_bfloat16* qRope, const __nv_bfloat16* kvCache,
               const PagedCache& cache, int batch, int heads, float scale, __nv_bfloat16* out,
               void* workspace, size_t workspaceBytes, cudaStream_t stream) {
  require(heads > 0 && heads <= attention::kMlaMaxHeadTiles * 16, "MLA decode supports 1..32 heads");
  require(batch >= 0 && cache.maxSeqLen >= 0, "MLA decode sizes");
  if (batch == 0) return;
  attention::MlaDecodeParams p{};
  static_cast<attention::PagedDecodeSplit&>(p) = attention::planPagedDecode(
      cache, batch, heads, 1, attention::kMlaLatentDim, scale, out, workspace, workspaceBytes);
  p.qLatent = qLatent;
  p.qRope = qRope;
  p.kvCache = kvCache;
  if (heads <= 16) {
    launchMla<1>(p, batch, stream);
  } else {
    launchMla<2>(p, batch, stream);
  }
  if (p.splits > 1)
    attention::launchSplitCombine(p.partialOut, p.partialLse, batch, heads, attention::kMlaLatentDim,
                                  p.splits, out, stream);
}

}  // namespace vl2::cuda
