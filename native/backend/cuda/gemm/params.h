// What one GEMM launch computes; shared by the plain, gate-up and grouped (MoE) launchers.
// out[r, n] = x[src(r), :] · w[n, :]^T (+ bias[n]) (+ residual[r, n]), or in gate-up mode
// out[r, n] = SiLU(x · gate[n]^T) * (x · up[n]^T). Grouped: rows [offsets[g], offsets[g+1])
// use group g's weights; src(r) = rowSource[r] when given (token gather), else r.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>

namespace vl2::cuda::gemmk {

struct GemmParams {
  const __nv_bfloat16* x = nullptr;                 // [*, k]
  const int32_t* rowSource = nullptr;               // [rows] or null
  const __nv_bfloat16* w = nullptr;                 // [n, k] (plain)
  const __nv_bfloat16* wUp = nullptr;               // [n, k] (gate-up, plain)
  const __nv_bfloat16* const* wGroups = nullptr;    // [groups] of [n, k] (grouped)
  const __nv_bfloat16* const* wUpGroups = nullptr;  // [groups] of [n, k] (grouped gate-up)
  const int32_t* groupOffsets = nullptr;            // [groups + 1] rows, device
  int groups = 1;
  int m = 0;  // rows (plain) or rows upper bound (grouped)
  int n = 0;
  int k = 0;
  void* out = nullptr;  // [rows, outStride], bf16 or fp32
  int outStride = 0;
  const __nv_bfloat16* bias = nullptr;      // [n] or null
  const __nv_bfloat16* residual = nullptr;  // [rows, residualStride] or null; may alias out
  int residualStride = 0;
};

// The fields every launch sets: the input, the sizes and where the output goes (out [m, n] with
// row stride outStride); each launcher adds its weights, gather and epilogue.
inline GemmParams gemmShape(const __nv_bfloat16* x, int m, int n, int k, void* out, int outStride) {
  GemmParams p;
  p.x = x;
  p.m = m;
  p.n = n;
  p.k = k;
  p.out = out;
  p.outStride = outStride;
  return p;
}

}  // namespace vl2::cuda::gemmk
