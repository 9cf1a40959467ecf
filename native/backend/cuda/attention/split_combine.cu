// Log-sum-exp merge of a split decode's partial outputs (see split_plan.h).
#include <cuda_bf16.h>

#include "backend/cuda/attention/attention.h"
#include "backend/cuda/attention/split_plan.h"
#include "backend/cuda/check.h"

namespace vl2::cuda::attention {

namespace {

// grid: (batch * heads, value-dim blocks); block: kCombineThreads, one value dim a thread.
// The split weights are computed once into smem; the sum then issues independent loads.
__global__ void __launch_bounds__(kCombineThreads)
    splitCombineKernel(const float* partialOut, const float* partialLse, int heads, int valueDim, int splits,
                       __nv_bfloat16* out) {
  __shared__ float weight[kMaxSplits];
  __shared__ float total;
  const int b = blockIdx.x / heads, h = blockIdx.x % heads;
  if (threadIdx.x < 32) {
    float maxLse = -INFINITY;
    for (int s = threadIdx.x; s < splits; s += 32)
      maxLse = fmaxf(maxLse, partialLse[(static_cast<size_t>(b) * splits + s) * heads + h]);
    for (int o = 16; o > 0; o >>= 1) maxLse = fmaxf(maxLse, __shfl_xor_sync(0xffffffffu, maxLse, o));
    float sum = 0.0f;
    for (int s = threadIdx.x; s < splits; s += 32) {
      const float lse = partialLse[(static_cast<size_t>(b) * splits + s) * heads + h];
      weight[s] = lse == -INFINITY ? 0.0f : expf(lse - maxLse);  // empty splits weigh 0
      sum += weight[s];
    }
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
    if (threadIdx.x == 0) total = sum;
  }
  __syncthreads();
  const int d = blockIdx.y * blockDim.x + threadIdx.x;
  if (d >= valueDim) return;
  const size_t stride = static_cast<size_t>(heads) * valueDim;
  const float* column = partialOut + (static_cast<size_t>(b) * splits * heads + h) * valueDim + d;
  float sum = 0.0f;
#pragma unroll 8
  for (int s = 0; s < splits; ++s) sum += weight[s] * column[s * stride];
  out[(static_cast<size_t>(b) * heads + h) * valueDim + d] =
      __float2bfloat16_rn(total > 0.0f ? sum / total : 0.0f);
}

}  // namespace

void launchSplitCombine(const float* partialOut, const float* partialLse, int batch, int heads, int valueDim,
                        int splits, __nv_bfloat16* out, cudaStream_t stream) {
  const dim3 grid(batch * heads, (valueDim + kCombineThreads - 1) / kCombineThreads);
  splitCombineKernel<<<grid, kCombineThreads, 0, stream>>>(partialOut, partialLse, heads, valueDim, splits,
                                                           out);
  checkLaunch("splitCombineKernel");
}

}  // namespace vl2::cuda::attention

namespace vl2::cuda {

size_t decodeWorkspaceBytes(int batch, int heads, int valueDim) {
  // Sized for the most splits any plan may choose, so one workspace serves every step.
  return attention::partialBytes(batch, heads, valueDim, attention::kMaxSplits);
}

}  // namespace vl2::cuda
