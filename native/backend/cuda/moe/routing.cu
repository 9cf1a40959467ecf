// Router: scores, group limiting and top-k for every method the variants use (SPEC 6).
// One warp a token; a lane holds experts lane, lane + 32, ...
#include <cfloat>

#include "backend/cuda/check.h"
#include "backend/cuda/moe/config.h"
#include "backend/cuda/moe/moe.h"

namespace vl2::cuda {

namespace {

constexpr int kPerLane = moe::kMaxExperts / 32;

__device__ __forceinline__ float warpMax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__device__ __forceinline__ float warpSum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Warp-wide argmax of (value, index), ties to the lower index; `extra` rides along.
__device__ __forceinline__ void warpArgmax(float& value, int& index, float& extra) {
  for (int o = 16; o > 0; o >>= 1) {
    const float v = __shfl_xor_sync(0xffffffffu, value, o);
    const int i = __shfl_xor_sync(0xffffffffu, index, o);
    const float x = __shfl_xor_sync(0xffffffffu, extra, o);
    if (v > value || (v == value && i < index)) {
      value = v;
      index = i;
      extra = x;
    }
  }
}

// logits: [tokens, experts]; expertIds, weights: [tokens, topK].
// choicesOut (null unless capturing): [tokens, experts] the scores top-k ranks, before group masking.
__global__ void routeKernel(const float* logits, const float* correctionBias, int tokens, MoeRouting r,
                            int32_t* expertIds, float* weights, float* choicesOut) {
  __shared__ float choiceSmem[moe::kRouteWarpsPerBlock][moe::kMaxExperts];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int token = blockIdx.x * moe::kRouteWarpsPerBlock + warp;
  if (token >= tokens) return;
  const float* row = logits + static_cast<size_t>(token) * r.experts;

  float score[kPerLane], choice[kPerLane];
  float rowMax = -FLT_MAX;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int e = lane + 32 * i;
    score[i] = e < r.experts ? row[e] : -FLT_MAX;
    rowMax = fmaxf(rowMax, score[i]);
  }
  if (r.scoring == MoeScoring::kSoftmax) {
    rowMax = warpMax(rowMax);
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      score[i] = lane + 32 * i < r.experts ? expf(score[i] - rowMax) : 0.0f;
      sum += score[i];
    }
    sum = warpSum(sum);
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) score[i] /= sum;
  } else {
#pragma unroll
    for (int i = 0; i < kPerLane; ++i)
      score[i] = lane + 32 * i < r.experts ? 1.0f / (1.0f + expf(-score[i])) : 0.0f;
  }
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int e = lane + 32 * i;
    const float bias = (r.method == MoeTopkMethod::kNoauxTc && correctionBias != nullptr && e < r.experts)
                           ? correctionBias[e]
                           : 0.0f;
    choice[i] = e < r.experts ? score[i] + bias : -FLT_MAX;
    if (choicesOut != nullptr && e < r.experts)
      choicesOut[static_cast<size_t>(token) * r.experts + e] = choice[i];
  }

  if (r.method != MoeTopkMethod::kGreedy && r.groups > 1) {
    float* smem = choiceSmem[warp];
#pragma unroll
    for (int i = 0; i < kPerLane; ++i)
      if (lane + 32 * i < r.experts) smem[lane + 32 * i] = choice[i];
    __syncwarp();
    const int perGroup = r.experts / r.groups;
    float groupScore = -FLT_MAX;
    if (lane < r.groups) {
      // group_limited_greedy: best score; noaux_tc: sum of the two best choices.
      float best = -FLT_MAX, second = -FLT_MAX;
      for (int e = lane * perGroup; e < (lane + 1) * perGroup; ++e) {
        const float v = smem[e];
        if (v > best) {
          second = best;
          best = v;
        } else if (v > second) {
          second = v;
        }
      }
      groupScore = r.method == MoeTopkMethod::kNoauxTc ? best + second : best;
    }
    uint32_t keep = 0;
    for (int j = 0; j < r.topkGroups; ++j) {
      float value = groupScore, unused = 0.0f;
      int index = lane;
      warpArgmax(value, index, unused);
      keep |= 1u << index;
      if (lane == index) groupScore = -FLT_MAX;
    }
    // Masked to 0.0, not -inf: a negative choice can lose to a masked expert (SPEC 6).
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      const int e = lane + 32 * i;
      if (e < r.experts && !((keep >> (e / perGroup)) & 1u)) choice[i] = 0.0f;
    }
  }

  float picked = 0.0f, total = 0.0f;
  int pickedId = 0;
  for (int j = 0; j < r.topK; ++j) {
    float value = -FLT_MAX, weight = 0.0f;
    int index = 0x7fffffff;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      if (choice[i] > value) {
        value = choice[i];
        index = lane + 32 * i;
        weight = score[i];
      }
    }
    warpArgmax(value, index, weight);
#pragma unroll
    for (int i = 0; i < kPerLane; ++i)
      if (lane + 32 * i == index) choice[i] = -FLT_MAX;
    total += weight;
    if (lane == j) {
      picked = weight;
      pickedId = index;
    }
  }
  const float scale =
      (r.topK > 1 && r.normTopkProb) ? r.routedScalingFactor / (total + 1e-20f) : r.routedScalingFactor;
  if (lane < r.topK) {
    expertIds[static_cast<size_t>(token) * r.topK + lane] = pickedId;
    weights[static_cast<size_t>(token) * r.topK + lane] = picked * scale;
  }
}

}  // namespace

void moeRoute(const float* logits, const float* correctionBias, int tokens, const MoeRouting& routing,
              int32_t* expertIds, float* weights, cudaStream_t stream, float* choicesOut) {
  require(routing.experts > 0 && routing.experts <= moe::kMaxExperts, "MoE experts out of range");
  require(routing.topK > 0 && routing.topK <= moe::kMaxTopK && routing.topK <= routing.experts,
          "MoE top-k out of range");
  require(routing.groups > 0 && routing.groups <= moe::kMaxGroups && routing.experts % routing.groups == 0,
          "MoE groups must divide the experts (at most 32 groups)");
  require(routing.topkGroups > 0 && routing.topkGroups <= routing.groups, "MoE topk_group out of range");
  require(routing.method != MoeTopkMethod::kNoauxTc || correctionBias != nullptr,
          "noaux_tc routing needs e_score_correction_bias");
  if (tokens == 0) return;
  const int blocks = (tokens + moe::kRouteWarpsPerBlock - 1) / moe::kRouteWarpsPerBlock;
  routeKernel<<<blocks, moe::kRouteWarpsPerBlock * 32, 0, stream>>>(logits, correctionBias, tokens, routing,
                                                                    expertIds, weights, choicesOut);
  checkLaunch("routeKernel");
}

}  // namespace vl2::cuda
