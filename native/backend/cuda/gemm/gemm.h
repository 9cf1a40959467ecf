// Launchers of the dense GEMMs (bf16 in, fp32 accumulate). Raw device pointers, row-major,
// weights [out, in] as in the checkpoint: y = x W^T. Decode sizes (m <= 16) stream the
// weights once through a skinny kernel; larger m use the tensor-core tiled kernel.
// On compute capability 9.x, prefill-sized launches take the Hopper kernels (gemm/sm90/:
// wgmma fed by TMA or cp.async); elsewhere the mma.sync ones (sm_80 and up).
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

// Which kernel family the GEMM launchers use, for the checks and benches that compare them;
// the model leaves it at kAuto. The sm90 choices apply on compute capability 9.x only and to
// operands the Hopper kernels take (they fall back to mma.sync elsewhere); kSm90 chooses the
// tile shape as kAuto does, kSm90Wide / kSm90Mid / kSm90Narrow force one.
enum class GemmPath { kAuto, kMmaSync, kSm90, kSm90Wide, kSm90Mid, kSm90Narrow };
void setGemmPath(GemmPath path);
GemmPath gemmPath();

}  // namespace vl2::cuda
