// Launchers of the MoE expert dispatch: route, permute by expert, grouped gate-up (SiLU
// fused) and down GEMMs over all experts in one launch each, then the weighted un-permute
// fused with the shared experts' output and the residual. Raw device pointers; every
// launch checked (vl2::Error kCuda / kInvalidArgument).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace vl2::cuda {

enum class MoeScoring { kSoftmax, kSigmoid };
enum class MoeTopkMethod { kGreedy, kGroupLimitedGreedy, kNoauxTc };

struct MoeRouting {
  int experts = 0;
  int topK = 0;
  int groups = 1;      // n_group
  int topkGroups = 1;  // topk_group
  MoeScoring scoring = MoeScoring::kSoftmax;
  MoeTopkMethod method = MoeTopkMethod::kGreedy;
  bool normTopkProb = false;
  float routedScalingFactor = 1.0f;
};

// logits: [tokens, experts] fp32 (router GEMM output); correctionBias: [experts] fp32
// (noaux_tc only, else null). Out: expertIds [tokens, topK], weights [tokens, topK] fp32
// (scores without the bias, normalised and scaled as SPEC section 6 says). Ties: lower id.
// choicesOut (optional, for captures): [tokens, experts] fp32, the scores top-k ranks (softmax
// or sigmoid, plus the bias under noaux_tc), before group masking.
void moeRoute(const float* logits, const float* correctionBias, int tokens, const MoeRouting& routing,
              int32_t* expertIds, float* weights, cudaStream_t stream, float* choicesOut = nullptr);

// Counting sort of the (token, slot) pairs by expert. expertOffsets: [experts + 1] rows;
// rowSource: [tokens * topK] token of each permuted row; slotRow: [tokens * topK]
// permuted row of (token, slot). Order inside an expert is arbitrary (rows independent).
void moePermute(const int32_t* expertIds, int tokens, int topK, int experts, int32_t* expertOffsets,
                int32_t* rowSource, int32_t* slotRow, cudaStream_t stream);

// h[r, :] = SiLU(x[rowSource[r]] gate_e^T) * (x[rowSource[r]] up_e^T) for the expert e of
// row r. gate, up: device arrays [experts] of [intermediate, hidden] pointers; x: [tokens,
// hidden]; h: [tokens * topK, intermediate].
void moeGateUp(const __nv_bfloat16* x, const int32_t* rowSource, const int32_t* expertOffsets,
               const __nv_bfloat16* const* gate, const __nv_bfloat16* const* up, __nv_bfloat16* h, int tokens,
               int topK, int experts, int intermediate, int hidden, cudaStream_t stream);

// y[r, :] = h[r] down_e^T; down: device array [experts] of [hidden, intermediate];
// y: [tokens * topK, hidden] fp32 (kept in fp32 until the weighted sum).
void moeDown(const __nv_bfloat16* h, const int32_t* expertOffsets, const __nv_bfloat16* const* down, float* y,
             int tokens, int topK, int experts, int hidden, int intermediate, cudaStream_t stream);

// out[t] = residual[t] + shared[t] + sum_j weights[t, j] * y[slotRow[t, j]], fp32 sum, one
// rounding. shared, residual, out: [tokens, hidden] bf16 (out may alias residual).
void moeCombine(const float* y, const int32_t* slotRow, const float* weights, const __nv_bfloat16* shared,
                const __nv_bfloat16* residual, __nv_bfloat16* out, int tokens, int topK, int hidden,
                cudaStream_t stream);

}  // namespace vl2::cuda
