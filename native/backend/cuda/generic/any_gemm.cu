// The shape-agnostic GEMM: 64x64 output tiles, 16-deep k slices staged in shared memory as
// fp32, 4x4 outputs a thread on CUDA cores. Slower than the tensor-core kernels; it exists
// for the shapes they refuse (k not a multiple of 8, odd n, strided per-head operands).
#include "backend/cuda/check.h"
#include "backend/cuda/generic/generic.h"

namespace vl2::cuda {
namespace {

constexpr int kTile = 64;
constexpr int kDepth = 16;
constexpr int kThreads = 256;  // 16 x 16 threads, 4 x 4 outputs each

__device__ inline void store(float* y, float v) { *y = v; }
__device__ inline void store(__nv_bfloat16* y, float v) { *y = __float2bfloat16(v); }

template <class OutT>
__global__ void __launch_bounds__(kThreads) anyGemmKernel(AnyGemm g, OutT* y) {
  __shared__ float xs[kDepth][kTile + 1];
  __shared__ float ws[kDepth][kTile + 1];
  const int b = blockIdx.z;
  const int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const __nv_bfloat16* x = g.x + b * g.xBatchStride;
  const __nv_bfloat16* w = g.w + b * g.wBatchStride;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < g.k; k0 += kDepth) {
    for (int i = threadIdx.x; i < kTile * kDepth; i += kThreads) {
      const int r = i / kDepth, kk = i % kDepth;
      const int gk = k0 + kk;
      const int gr = row0 + r, gc = col0 + r;
      xs[kk][r] = (gr < g.m && gk < g.k) ? __bfloat162float(x[gr * g.xStride + gk]) : 0.0f;
      ws[kk][r] = (gc < g.n && gk < g.k) ? __bfloat162float(w[gc * g.wStride + gk]) : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kDepth; ++kk) {
      float a[4], c[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        a[i] = xs[kk][ty + 16 * i];
        c[i] = ws[kk][tx + 16 * i];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], c[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int r = row0 + ty + 16 * i;
    if (r >= g.m) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int c = col0 + tx + 16 * j;
      if (c >= g.n) continue;
      float v = acc[i][j];
      if (g.bias) v += __bfloat162float(g.bias[c]);
      if (g.residual) v += __bfloat162float(g.residual[b * g.residualBatchStride + r * g.residualStride + c]);
      store(y + b * g.yBatchStride + r * g.yStride + c, v);
    }
  }
}

template <class OutT>
void launch(const AnyGemm& g, OutT* y, cudaStream_t stream) {
  require(g.m >= 0 && g.n > 0 && g.k > 0 && g.batch > 0, "anyGemm sizes");
  require(g.x && g.w && y, "anyGemm pointers");
  if (g.m == 0) return;
  const dim3 grid((g.n + kTile - 1) / kTile, (g.m + kTile - 1) / kTile, g.batch);
  anyGemmKernel<OutT><<<grid, kThreads, 0, stream>>>(g, y);
  checkLaunch("anyGemmKernel");
}

}  // namespace

void anyGemm(const AnyGemm& g, __nv_bfloat16* y, cudaStream_t stream) { launch(g, y, stream); }
void anyGemm(const AnyGemm& g, float* y, cudaStream_t stream) { launch(g, y, stream); }

}  // namespace vl2::cuda
