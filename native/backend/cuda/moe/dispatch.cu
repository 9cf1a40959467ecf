// Permutation by expert, grouped expert GEMMs and the fused weighted un-permute.
#include "backend/cuda/check.h"
#include "backend/cuda/gemm/dispatch.cuh"
#include "backend/cuda/moe/config.h"
#include "backend/cuda/moe/moe.h"

namespace vl2::cuda {

namespace {

// One block: the (token, slot) lists are tokens x top-k entries, small next to the GEMMs.
__global__ void __launch_bounds__(moe::kPermuteThreads)
    permuteKernel(const int32_t* expertIds, int entries, int topK, int experts, int32_t* expertOffsets,
                  int32_t* rowSource, int32_t* slotRow) {
  __shared__ int count[moe::kMaxExperts];
  __shared__ int cursor[moe::kMaxExperts];
  for (int e = threadIdx.x; e < experts; e += blockDim.x) count[e] = 0;
  __syncthreads();
  for (int i = threadIdx.x; i < entries; i += blockDim.x) atomicAdd(&count[expertIds[i]], 1);
  __syncthreads();
  if (threadIdx.x == 0) {
    int running = 0;
    for (int e = 0; e < experts; ++e) {
      expertOffsets[e] = running;
      cursor[e] = running;
      running += count[e];
    }
    expertOffsets[experts] = running;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < entries; i += blockDim.x) {
    const int row = atomicAdd(&cursor[expertIds[i]], 1);
    rowSource[row] = i / topK;
    slotRow[i] = row;
  }
}

// grid: tokens; each thread 4 hidden values at a time.
__global__ void __launch_bounds__(moe::kCombineThreads)
    combineKernel(const float* y, const int32_t* slotRow, const float* weights, const __nv_bfloat16* shared,
                  const __nv_bfloat16* residual, __nv_bfloat16* out, int topK, int hidden) {
  const int token = blockIdx.x;
  const size_t base = static_cast<size_t>(token) * hidden;
  for (int c = threadIdx.x * 4; c < hidden; c += blockDim.x * 4) {
    const __nv_bfloat162* s = reinterpret_cast<const __nv_bfloat162*>(shared + base + c);
    const __nv_bfloat162* r = reinterpret_cast<const __nv_bfloat162*>(residual + base + c);
    float sum[4] = {__low2float(s[0]) + __low2float(r[0]), __high2float(s[0]) + __high2float(r[0]),
                    __low2float(s[1]) + __low2float(r[1]), __high2float(s[1]) + __high2float(r[1])};
    for (int j = 0; j < topK; ++j) {
      const float w = weights[token * topK + j];
      const float4 v =
          *reinterpret_cast<const float4*>(y + static_cast<size_t>(slotRow[token * topK + j]) * hidden + c);
      sum[0] += w * v.x;
      sum[1] += w * v.y;
      sum[2] += w * v.z;
      sum[3] += w * v.w;
    }
    __nv_bfloat162* o = reinterpret_cast<__nv_bfloat162*>(out + base + c);
    o[0] = __floats2bfloat162_rn(sum[0], sum[1]);
    o[1] = __floats2bfloat162_rn(sum[2], sum[3]);
  }
}

}  // namespace

void moePermute(const int32_t* expertIds, int tokens, int topK, int experts, int32_t* expertOffsets,
                int32_t* rowSource, int32_t* slotRow, cudaStream_t stream) {
  require(experts > 0 && experts <= moe::kMaxExperts, "MoE experts out of range");
  require(tokens >= 0 && topK > 0, "MoE permute sizes");
  permuteKernel<<<1, moe::kPermuteThreads, 0, stream>>>(expertIds, tokens * topK, topK, experts,
                                                        expertOffsets, rowSource, slotRow);
  checkLaunch("permuteKernel");
}

void moeGateUp(const __nv_bfloat16* x, const int32_t* rowSource, const int32_t* expertOffsets,
               const __nv_bfloat16* const* gate, const __nv_bfloat16* const* up, __nv_bfloat16* h, int tokens,
               int topK, int experts, int intermediate, int hidden, cudaStream_t stream) {
  gemmk::GemmParams p = gemmk::gemmShape(x, tokens * topK, intermediate, hidden, h, intermediate);
  p.rowSource = rowSource;
  p.wGroups = gate;
  p.wUpGroups = up;
  p.groupOffsets = expertOffsets;
  p.groups = experts;
  gemmk::runGrouped<true, __nv_bfloat16>(p, tokens, stream);
}

void moeDown(const __nv_bfloat16* h, const int32_t* expertOffsets, const __nv_bfloat16* const* down, float* y,
             int tokens, int topK, int experts, int hidden, int intermediate, cudaStream_t stream) {
  gemmk::GemmParams p = gemmk::gemmShape(h, tokens * topK, hidden, intermediate, y, hidden);
  p.wGroups = down;
  p.groupOffsets = expertOffsets;
  p.groups = experts;
  gemmk::runGrouped<false, float>(p, tokens, stream);
}

void moeCombine(const float* y, const int32_t* slotRow, const float* weights, const __nv_bfloat16* shared,
                const __nv_bfloat16* residual, __nv_bfloat16* out, int tokens, int topK, int hidden,
                cudaStream_t stream) {
  require(hidden % 4 == 0, "MoE combine needs hidden % 4 == 0");
  if (tokens == 0) return;
  combineKernel<<<tokens, moe::kCombineThreads, 0, stream>>>(y, slotRow, weights, shared, residual, out, topK,
                                                             hidden);
  checkLaunch("combineKernel");
}

}  // namespace vl2::cuda
