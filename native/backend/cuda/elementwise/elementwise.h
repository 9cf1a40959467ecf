// Launchers of the small kernels of both towers: norms, RoPE, activations, embeddings,
// residual adds and greedy sampling. bf16 tensors, fp32 math, one rounding at the end.
// Every launch is checked (vl2::Error kCuda / kInvalidArgument).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace vl2::cuda {

// out[r] = x[r] * rsqrt(mean(x[r]^2) + eps) * weight. x: [rows, xStride], out: [rows,
// outStride], first `dim` values of each row (dim % 8 == 0; may run in place).
void rmsNorm(const __nv_bfloat16* x, int xStride, const __nv_bfloat16* weight, __nv_bfloat16* out,
             int outStride, int rows, int dim, float eps, cudaStream_t stream);

// LayerNorm with bias (SigLIP): x, out: [rows, dim].
void layerNorm(const __nv_bfloat16* x, const __nv_bfloat16* weight, const __nv_bfloat16* bias,
               __nv_bfloat16* out, int rows, int dim, float eps, cudaStream_t stream);

enum class RopeLayout {
  kHalf,         // Tiny: dimension i pairs with i + rotaryDim / 2
  kInterleaved,  // MLA: dimensions (2i, 2i + 1) form pair i
};
// In place on x[t, h, offset : offset + rotaryDim] with x: [tokens, tokenStride] and heads
// headStride apart; angle = positions[t] * theta^(-2i / rotaryDim).
void rope(__nv_bfloat16* x, int tokens, int heads, long long tokenStride, long long headStride, int offset,
          int rotaryDim, const int32_t* positions, float theta, RopeLayout layout, cudaStream_t stream);

enum class GeluKind { kTanh, kErf };
// In place: x[i] = GELU(x[i]), count % 8 == 0.
void gelu(__nv_bfloat16* x, long long count, GeluKind kind, cudaStream_t stream);

// out[r, i] = SiLU(gate[r, i]) * up[r, i]; all [count] flat, count % 8 == 0.
void siluMul(const __nv_bfloat16* gate, const __nv_bfloat16* up, __nv_bfloat16* out, long long count,
             cudaStream_t stream);

// out = a + b, [count] flat, count % 8 == 0 (may run in place).
void add(const __nv_bfloat16* a, const __nv_bfloat16* b, __nv_bfloat16* out, long long count,
         cudaStream_t stream);

// out[t] = table[ids[t]]: [tokens, dim]. Ids must already be checked against the vocabulary
// (the engine validates them on the host); dim % 8 == 0.
void embed(const __nv_bfloat16* table, const int32_t* ids, __nv_bfloat16* out, int tokens, int dim,
           cudaStream_t stream);

// Greedy sampling: ids[r] = argmax over logits[r, :vocab] (ties to the lower id).
void argmax(const float* logits, int rows, int vocab, int32_t* ids, cudaStream_t stream);

}  // namespace vl2::cuda
