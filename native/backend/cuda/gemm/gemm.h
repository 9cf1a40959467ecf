// Launchers of the dense GEMMs (bf16 in, fp32 accumulate). Raw device pointers, row-major,
// weights [out, in] as in the checkpoint: y = x W^T. Decode sizes (m <= 16) stream the
// weights once through a skinny kernel; larger m use the tensor-core tiled kernel.
// Every launch is checked; bad sizes throw vl2::Error(kInvalidArgument), CUDA failures kCuda.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace vl2::cuda {

struct GemmEpilogue {
  const __nv_bfloat16* bias = nullptr;      // [n], added before the residual
  const __nv_bfloat16* residual = nullptr;  // [m, residualStride]; may be the output itself
  int residualStride = 0;
};

// y: [m, yStride] (yStride >= n), x: [m, k], w: [n, k]. k % 8 == 0, n even.
void gemm(const __nv_bfloat16* x, const __nv_bfloat16* w, __nv_bfloat16* y, int m, int n, int k, int yStride,
          const GemmEpilogue& epilogue, cudaStream_t stream);
void gemm(const __nv_bfloat16* x, const __nv_bfloat16* w, float* y, int m, int n, int k, int yStride,
          const GemmEpilogue& epilogue, cudaStream_t stream);

// h[m, n] = SiLU(x gate^T) * (x up^T): the dense MLP's (and shared experts') first half.
// gate, up: [n, k]; h: [m, n].
void gemmGateUpSilu(const __nv_bfloat16* x, const __nv_bfloat16* gate, const __nv_bfloat16* up,
                    __nv_bfloat16* h, int m, int n, int k, cudaStream_t stream);

}  // namespace vl2::cuda
