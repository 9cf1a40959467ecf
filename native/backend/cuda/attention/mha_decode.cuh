// Multi-head decode over paged K/V (Tiny: 10 heads of 128). One query row a head leaves
// nothing for tensor cores; the work is reading K and V once. 8 lanes share a token (16
// dims each, 32-byte loads per row), so a warp has 4 tokens in flight and reduces a score
// in 3 shuffles; each 8-lane group keeps its own online-softmax state, merged at the end.
#pragma once

#include <cuda_bf16.h>

#include <cfloat>
#include <cstdint>

#include "backend/cuda/attention/config.h"
#include "backend/cuda/attention/paged_decode_split.h"

namespace vl2::cuda::attention {

struct MhaDecodeParams : PagedDecodeSplit {  // valueDim 128
  const __nv_bfloat16* q;                    // [batch, heads, 128]
  const __nv_bfloat16* kCache;               // [blocks, 64, kvHeads, 128]
  const __nv_bfloat16* vCache;               // [blocks, 64, kvHeads, 128]
  int kvHeads;
};

constexpr int kMhaDimsPerLane = kMhaHeadDim / kMhaLanesPerToken;
constexpr int kMhaGroups = kMhaDecodeThreads / kMhaLanesPerToken;

__device__ __forceinline__ void unpackBf16x8(const uint4& v, float* out) {
  const __nv_bfloat162* pairs = reinterpret_cast<const __nv_bfloat162*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    out[2 * i] = __low2float(pairs[i]);
    out[2 * i + 1] = __high2float(pairs[i]);
  }
}

// grid: (splits, heads, batch); block: kMhaDecodeThreads.
__global__ void __launch_bounds__(kMhaDecodeThreads) mhaDecodeKernel(const MhaDecodeParams p) {
  __shared__ float groupMax[kMhaGroups];
  __shared__ float groupSum[kMhaGroups];
  __shared__ float groupAcc[kMhaGroups][kMhaHeadDim];
  const int split = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int group = threadIdx.x / kMhaLanesPerToken, sub = threadIdx.x % kMhaLanesPerToken;
  const int kvHead = h / (p.heads / p.kvHeads);
  const int seqLen = p.seqLens[b];
  const int tokenBegin = split * p.tokensPerSplit;
  const int tokenEnd = min(seqLen, tokenBegin + p.tokensPerSplit);
  const int32_t* table = p.blockTable + static_cast<size_t>(b) * p.maxBlocksPerSequence;

  float qv[kMhaDimsPerLane];
  const __nv_bfloat16* qRow =
      p.q + (static_cast<size_t>(b) * p.heads + h) * kMhaHeadDim + sub * kMhaDimsPerLane;
  unpackBf16x8(*reinterpret_cast<const uint4*>(qRow), qv);
  unpackBf16x8(*reinterpret_cast<const uint4*>(qRow + 8), qv + 8);
#pragma unroll
  for (int d = 0; d < kMhaDimsPerLane; ++d) qv[d] *= p.scale;

  float runningMax = -INFINITY, runningSum = 0.0f, acc[kMhaDimsPerLane] = {};
  // The loop runs the same count on all lanes of a warp (the shuffles need every lane);
  // a group whose token lies past the end computes on zeros and keeps its state.
  const int warpFirstGroup = (threadIdx.x / 32) * (32 / kMhaLanesPerToken);
  const int groupInWarp = group - warpFirstGroup;
  for (int t0 = tokenBegin + warpFirstGroup; t0 < tokenEnd; t0 += kMhaGroups) {
    const int t = t0 + groupInWarp;
    const bool valid = t < tokenEnd;
    const uint4 zero = make_uint4(0, 0, 0, 0);
    uint4 k0 = zero, k1 = zero, v0 = zero, v1 = zero;
    if (valid) {
      const int32_t block = table[t / kPageTokens];
      const size_t offset =
          ((static_cast<size_t>(block) * kPageTokens + t % kPageTokens) * p.kvHeads + kvHead) * kMhaHeadDim +
          sub * kMhaDimsPerLane;
      k0 = *reinterpret_cast<const uint4*>(p.kCache + offset);
      k1 = *reinterpret_cast<const uint4*>(p.kCache + offset + 8);
      v0 = *reinterpret_cast<const uint4*>(p.vCache + offset);
      v1 = *reinterpret_cast<const uint4*>(p.vCache + offset + 8);
    }
    float kv[kMhaDimsPerLane];
    unpackBf16x8(k0, kv);
    unpackBf16x8(k1, kv + 8);
    float score = 0.0f;
#pragma unroll
    for (int d = 0; d < kMhaDimsPerLane; ++d) score += qv[d] * kv[d];
#pragma unroll
    for (int o = kMhaLanesPerToken / 2; o > 0; o >>= 1) score += __shfl_xor_sync(0xffffffffu, score, o);
    if (!valid) continue;
    const float newMax = fmaxf(runningMax, score);
    const float alpha = __expf(runningMax - newMax), weight = __expf(score - newMax);
    runningSum = runningSum * alpha + weight;
    runningMax = newMax;
    unpackBf16x8(v0, kv);
    unpackBf16x8(v1, kv + 8);
#pragma unroll
    for (int d = 0; d < kMhaDimsPerLane; ++d) acc[d] = acc[d] * alpha + weight * kv[d];
  }
  if (sub == 0) {
    groupMax[group] = runningMax;
    groupSum[group] = runningSum;
  }
#pragma unroll
  for (int d = 0; d < kMhaDimsPerLane; ++d) groupAcc[group][sub * kMhaDimsPerLane + d] = acc[d];
  __syncthreads();

  float blockMax = -INFINITY;
  for (int i = 0; i < kMhaGroups; ++i) blockMax = fmaxf(blockMax, groupMax[i]);
  const size_t partialRow = (static_cast<size_t>(b) * p.splits + split) * p.heads + h;
  if (blockMax == -INFINITY) {  // an empty split
    for (int d = threadIdx.x; d < kMhaHeadDim; d += blockDim.x)
      p.partialOut[partialRow * kMhaHeadDim + d] = 0.0f;
    if (threadIdx.x == 0) p.partialLse[partialRow] = -INFINITY;
    return;
  }
  float total = 0.0f;
  for (int i = 0; i < kMhaGroups; ++i)
    if (groupMax[i] != -INFINITY) total += groupSum[i] * __expf(groupMax[i] - blockMax);
  for (int d = threadIdx.x; d < kMhaHeadDim; d += blockDim.x) {
    float sum = 0.0f;
    for (int i = 0; i < kMhaGroups; ++i)
      if (groupMax[i] != -INFINITY) sum += groupAcc[i][d] * __expf(groupMax[i] - blockMax);
    const float value = sum / total;
    if (p.splits == 1) {
      p.out[(static_cast<size_t>(b) * p.heads + h) * kMhaHeadDim + d] = __float2bfloat16_rn(value);
    } else {
      p.partialOut[partialRow * kMhaHeadDim + d] = value;
    }
  }
  if (p.splits > 1 && threadIdx.x == 0) p.partialLse[partialRow] = blockMax + logf(total);
}

}  // namespace vl2::cuda::attention
