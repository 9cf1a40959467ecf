// Skinny GEMM for decode (up to 16 rows of x): bandwidth-bound, so every weight byte is
// read once with a 16-byte streaming load and fed to mma.sync straight from registers.
// The weights are the A operand (16 output features), the tokens the n8 operand. A dot
// product does not care about the order of K, so each lane's 8 contiguous K values are
// used as the fragment's (2q, 2q+1, 2q+8, 2q+9) positions of two k16 steps; x is loaded
// with the same permutation, and no shuffle or smem staging is needed.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>

#include "backend/cuda/gemm/config.h"
#include "backend/cuda/gemm/epilogue.cuh"
#include "backend/cuda/gemm/params.h"
#include "backend/cuda/ptx.cuh"

namespace vl2::cuda::gemmk {

__device__ __forceinline__ void mmaPermuted(float (&acc)[4], const uint4& w0, const uint4& w1,
                                            const uint4& x) {
  const uint32_t a0[4] = {w0.x, w1.x, w0.y, w1.y};
  ptx::mmaBf16(acc, a0, x.x, x.y);
  const uint32_t a1[4] = {w0.z, w1.z, w0.w, w1.w};
  ptx::mmaBf16(acc, a1, x.z, x.w);
}

// grid: (ceil(n / 16), groups); block: kSkinnyWarps warps splitting K.
template <int kTokenTiles, bool kGrouped, bool kGateUp, class OutT>
__global__ void __launch_bounds__(kSkinnyWarps * 32) skinnyGemmKernel(const GemmParams p) {
  constexpr int kMats = kGateUp ? 2 : 1;
  constexpr int kValues = kMats * kTokenTiles * 4;
  constexpr int kTokensPerPass = kTokenTiles * 8;
  __shared__ float partial[kSkinnyWarps][32][kValues];

  int rowBegin = 0, rows = p.m;
  const __nv_bfloat16* w = p.w;
  const __nv_bfloat16* wUp = p.wUp;
  if constexpr (kGrouped) {
    rowBegin = p.groupOffsets[blockIdx.y];
    rows = p.groupOffsets[blockIdx.y + 1] - rowBegin;
    if (rows == 0) return;
    w = p.wGroups[blockIdx.y];
    if constexpr (kGateUp) wUp = p.wUpGroups[blockIdx.y];
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, q = lane & 3;
  const int n0 = blockIdx.x * kSkinnyRows;
  // Rows past N load a valid row and are never stored.
  const int feature0 = min(n0 + g, p.n - 1), feature1 = min(n0 + g + 8, p.n - 1);
  const __nv_bfloat16* w0Row = w + static_cast<size_t>(feature0) * p.k + q * 8;
  const __nv_bfloat16* w1Row = w + static_cast<size_t>(feature1) * p.k + q * 8;
  const __nv_bfloat16* u0Row = kGateUp ? wUp + static_cast<size_t>(feature0) * p.k + q * 8 : nullptr;
  const __nv_bfloat16* u1Row = kGateUp ? wUp + static_cast<size_t>(feature1) * p.k + q * 8 : nullptr;
  const int chunks = (p.k + kSkinnyChunkK - 1) / kSkinnyChunkK;

  for (int t0 = 0; t0 < rows; t0 += kTokensPerPass) {
    const __nv_bfloat16* xRow[kTokenTiles];
#pragma unroll
    for (int j = 0; j < kTokenTiles; ++j) {
      const int token = min(t0 + j * 8 + g, rows - 1);
      const int source = p.rowSource != nullptr ? p.rowSource[rowBegin + token] : rowBegin + token;
      xRow[j] = p.x + static_cast<size_t>(source) * p.k + q * 8;
    }
    float acc[kMats][kTokenTiles][4] = {};
    for (int base = warp; base < chunks; base += kSkinnyWarps * kSkinnyUnroll) {
      uint4 wa[kSkinnyUnroll], wb[kSkinnyUnroll], ua[kSkinnyUnroll], ub[kSkinnyUnroll];
      uint4 xv[kSkinnyUnroll][kTokenTiles];
#pragma unroll
      for (int u = 0; u < kSkinnyUnroll; ++u) {
        const int chunk = base + u * kSkinnyWarps;
        const int kOffset = chunk * kSkinnyChunkK;
        const bool ok = chunk < chunks && kOffset + q * 8 < p.k;
        const uint4 zero = make_uint4(0, 0, 0, 0);
        wa[u] = ok ? ptx::loadStreaming(w0Row + kOffset) : zero;
        wb[u] = ok ? ptx::loadStreaming(w1Row + kOffset) : zero;
        if constexpr (kGateUp) {
          ua[u] = ok ? ptx::loadStreaming(u0Row + kOffset) : zero;
          ub[u] = ok ? ptx::loadStreaming(u1Row + kOffset) : zero;
        }
#pragma unroll
        for (int j = 0; j < kTokenTiles; ++j)
          xv[u][j] = ok ? *reinterpret_cast<const uint4*>(xRow[j] + kOffset) : zero;
      }
#pragma unroll
      for (int u = 0; u < kSkinnyUnroll; ++u) {
#pragma unroll
        for (int j = 0; j < kTokenTiles; ++j) {
          mmaPermuted(acc[0][j], wa[u], wb[u], xv[u][j]);
          if constexpr (kGateUp) mmaPermuted(acc[kMats - 1][j], ua[u], ub[u], xv[u][j]);
        }
      }
    }
#pragma unroll
    for (int m = 0; m < kMats; ++m)
#pragma unroll
      for (int j = 0; j < kTokenTiles; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) partial[warp][lane][(m * kTokenTiles + j) * 4 + e] = acc[m][j][e];
    __syncthreads();
    if (warp == 0) {
#pragma unroll
      for (int v = 0; v < kValues; ++v) {
        float sum = 0.0f;
#pragma unroll
        for (int ww = 0; ww < kSkinnyWarps; ++ww) sum += partial[ww][lane][v];
        (&acc[0][0][0])[v] = sum;
      }
#pragma unroll
      for (int j = 0; j < kTokenTiles; ++j) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          // c0, c1: feature g; c2, c3: feature g + 8; tokens 2q and 2q + 1.
          const int feature = n0 + g + (e >> 1) * 8;
          const int token = t0 + j * 8 + 2 * q + (e & 1);
          if (feature >= p.n || token >= rows) continue;
          const float value = kGateUp ? siluMul(acc[0][j][e], acc[kMats - 1][j][e]) : acc[0][j][e];
          storeOne<OutT>(p, rowBegin + token, feature, value, !kGateUp);
        }
      }
    }
    __syncthreads();
  }
}

}  // namespace vl2::cuda::gemmk
