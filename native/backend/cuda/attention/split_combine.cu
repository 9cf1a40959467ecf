// Log-sum-exp merge of a split decode's partial outputs (see split_plan.h).
#include <cuda_bf16.h>

#include <cfloat>

#include "backend/cuda/attention/attention.h"
#include "backend/cuda/attention/split_plan.h"
#include "backend/cuda/check.h"

namespace vl2::cuda::attention {

namespace {

// grid: batch * heads; block: kCombineThreads over the value dims.
__global__ void __launch_bounds__(kCombineThreads)
    splitCombineKernel(const float* partialOut, const float* partialLse, int heads, int valueDim,
                       int splits, __nv_bfloat16* out) {
  const int b = blockIdx.x / heads, h = blockIdx.x % heads;
  float maxLse = -FLT_MAX;
  for (int s = 0; s < splits; ++s)
    maxLse = fmaxf(maxLse, partialLse[(static_cast<size_t>(b) * splits + s) * heads + h]);
  float total = 0.0f;
  for (int s = 0; s < splits; ++s) {
    const float lse = partialLse[(static_cast<size_t>(b) * splits + s) * heads + h];
    total += lse == -INFINITY ? 0.0f : expf(lse - maxLse);
  }
  for (int d = threadIdx.x; d < valueDim; d += blockDim.x) {
    float sum = 0.0f;
    for (int s = 0; s < splits; ++s) {
      const size_t row = (static_cast<size_t>(b) * splits + s) * heads + h;
      const float lse = partialLse[row];
      if (lse != -INFINITY) sum += expf(lse - maxLse) * partialOut[row * valueDim + d];
    }
    out[(static_cast<size_t>(b) * heads + h) * valueDim + d] =
        __float2bfloat16_rn(total > 0.0f ? sum / total : 0.0f);
  }
}

}  // namespace

void launchSplitCombine(const float* partialOut, const float* partialLse, int batch, int heads,
                        int valueDim, int splits, __nv_bfloat16* out, cudaStream_t stream) {
  splitCombineKernel<<<batch * heads, kCombineThreads, 0, stream>>>(partialOut, partialLse, heads,
                                                                    valueDim, splits, out);
  checkLaunch("splitCombineKernel");
}

}  // namespace vl2::cuda::attention

namespace vl2::cuda {

size_t decodeWorkspaceBytes(int batch, int heads, int valueDim) {
  // Sized for the most splits any plan may choose, so one workspace serves every step.
  return attention::partialBytes(batch, heads, valueDim, attention::kMaxSplits);
}

}  // namespace vl2::cuda
