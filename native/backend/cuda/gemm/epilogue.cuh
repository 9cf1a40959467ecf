// Output stores shared by the GEMM kernels: bias and residual in fp32, one rounding.
#pragma once

#include <cuda_bf16.h>

#include "backend/cuda/gemm/params.h"

namespace vl2::cuda::gemmk {

__device__ __forceinline__ float siluMul(float gate, float up) { return gate / (1.0f + __expf(-gate)) * up; }

// Bias and residual of two adjacent columns (n even, n + 1 < N because N is even).
__device__ __forceinline__ void addBiasResidual(const GemmParams& p, int row, int n, float& v0, float& v1) {
  if (p.bias != nullptr) {
    v0 += __bfloat162float(p.bias[n]);
    v1 += __bfloat162float(p.bias[n + 1]);
  }
  if (p.residual != nullptr) {
    const __nv_bfloat162 r = *reinterpret_cast<const __nv_bfloat162*>(
        p.residual + static_cast<size_t>(row) * p.residualStride + n);
    v0 += __low2float(r);
    v1 += __high2float(r);
  }
}

// Two adjacent columns (n even, n + 1 < N because N is even) of output row `row`.
template <class OutT>
__device__ __forceinline__ void storePair(const GemmParams& p, int row, int n, float v0, float v1,
                                          bool applyEpilogue) {
  if (applyEpilogue) addBiasResidual(p, row, n, v0, v1);
  OutT* out = static_cast<OutT*>(p.out) + static_cast<size_t>(row) * p.outStride + n;
  if constexpr (sizeof(OutT) == 4) {
    *reinterpret_cast<float2*>(out) = make_float2(v0, v1);
  } else {
    *reinterpret_cast<__nv_bfloat162*>(out) = __floats2bfloat162_rn(v0, v1);
  }
}

template <class OutT>
__device__ __forceinline__ void storeOne(const GemmParams& p, int row, int n, float v, bool applyEpilogue) {
  if (applyEpilogue) {
    if (p.bias != nullptr) v += __bfloat162float(p.bias[n]);
    if (p.residual != nullptr)
      v += __bfloat162float(p.residual[static_cast<size_t>(row) * p.residualStride + n]);
  }
  OutT* out = static_cast<OutT*>(p.out) + static_cast<size_t>(row) * p.outStride + n;
  if constexpr (sizeof(OutT) == 4) {
    *out = v;
  } else {
    *out = __float2bfloat16_rn(v);
  }
}

}  // namespace vl2::cuda::gemmk
