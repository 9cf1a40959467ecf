// Flash-attention forward on tensor cores (mma.sync, sm_80+): 4 warps x 16 query rows,
// 64-key tiles double-buffered through cp.async, S and P kept in registers (the S
// accumulator layout of two n8 tiles is the A-fragment layout of one k16 step), fp32
// online softmax. Dims are padded to multiples of 16 with zeros in smem (72 -> 80).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/attention/config.h"
#include "backend/cuda/check.h"
#include "backend/cuda/ptx.cuh"

namespace vl2::cuda::attention {

struct FlashParams {
  const __nv_bfloat16* q;
  const __nv_bfloat16* k;
  const __nv_bfloat16* v;
  __nv_bfloat16* out;
  long long qToken, qHead, qBatch;
  long long kToken, kHead, kBatch;
  long long vToken, vHead, vBatch;
  long long oToken, oHead, oBatch;
  int heads, kvHeads, qLen, kvLen, qkDim, vDim;
  float scale;
  bool causal;
};

template <int kQk, int kV, int kWarps>
constexpr int flashSmemBytes() {
  return (kWarps * 16 * (kQk + 8) + 2 * kFlashKeys * (kQk + 8) + 2 * kFlashKeys * (kV + 8)) * 2;
}

// Copies rows [row0, row0 + rows) of a [tokens, dim] slice into smem rows of `pad` values,
// zero-filling rows past `validRows` and dims past `dim` (dim % 8 == 0).
template <int kDimPadded>
__device__ __forceinline__ void copyTile(__nv_bfloat16* dst, const __nv_bfloat16* src, long long tokenStride,
                                         int row0, int rows, int validRows, int dim) {
  constexpr int kChunks = kDimPadded / 8;
  for (int i = threadIdx.x; i < rows * kChunks; i += blockDim.x) {
    const int r = i / kChunks, chunk = i % kChunks;
    const bool ok = row0 + r < validRows && chunk * 8 < dim;
    const __nv_bfloat16* from = ok ? src + (row0 + r) * tokenStride + chunk * 8 : src;
    ptx::cpAsync16(ptx::smemAddress(dst + r * (kDimPadded + 8) + chunk * 8), from, ok);
  }
}

// grid: (ceil(qLen / (16 kWarps)), heads, batch); block: 32 kWarps; smem: flashSmemBytes.
template <int kQk, int kV, int kWarps>
__global__ void __launch_bounds__(kWarps * 32) flashPrefillKernel(const FlashParams p) {
  constexpr int kQueries = kWarps * 16;
  constexpr int kQkStride = kQk + 8, kVStride = kV + 8;
  constexpr int kSteps = kQk / 16, kVTiles = kV / 8, kKeyTiles = kFlashKeys / 8;
  extern __shared__ uint4 smemRaw[];
  __nv_bfloat16* smemQ = reinterpret_cast<__nv_bfloat16*>(smemRaw);
  __nv_bfloat16* smemK = smemQ + kQueries * kQkStride;
  __nv_bfloat16* smemV = smemK + 2 * kFlashKeys * kQkStride;

  const int q0 = blockIdx.x * kQueries, h = blockIdx.y, b = blockIdx.z;
  const int kvHead = h / (p.heads / p.kvHeads);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, qd = lane & 3;
  const __nv_bfloat16* q = p.q + b * p.qBatch + h * p.qHead;
  const __nv_bfloat16* k = p.k + b * p.kBatch + kvHead * p.kHead;
  const __nv_bfloat16* v = p.v + b * p.vBatch + kvHead * p.vHead;
  const int offset = p.kvLen - p.qLen;  // queries are the last qLen positions
  const int keyEnd = p.causal ? min(p.kvLen, q0 + kQueries + offset) : p.kvLen;
  const int keyTiles = (keyEnd + kFlashKeys - 1) / kFlashKeys;

  copyTile<kQk>(smemQ, q, p.qToken, q0, kQueries, p.qLen, p.qkDim);
  copyTile<kQk>(smemK, k, p.kToken, 0, kFlashKeys, p.kvLen, p.qkDim);
  copyTile<kV>(smemV, v, p.vToken, 0, kFlashKeys, p.kvLen, p.vDim);
  ptx::cpAsyncCommit();

  uint32_t qFrag[kSteps][4];
  float o[kVTiles][4] = {};
  float rowMax[2] = {-INFINITY, -INFINITY}, rowSum[2] = {0.0f, 0.0f};
  const int rowLo = q0 + warp * 16 + g;  // this thread's rows: rowLo and rowLo + 8

  for (int tile = 0; tile < keyTiles; ++tile) {
    const int buffer = tile & 1;
    if (tile + 1 < keyTiles) {
      copyTile<kQk>(smemK + (buffer ^ 1) * kFlashKeys * kQkStride, k, p.kToken, (tile + 1) * kFlashKeys,
                    kFlashKeys, p.kvLen, p.qkDim);
      copyTile<kV>(smemV + (buffer ^ 1) * kFlashKeys * kVStride, v, p.vToken, (tile + 1) * kFlashKeys,
                   kFlashKeys, p.kvLen, p.vDim);
    }
    ptx::cpAsyncCommit();
    ptx::cpAsyncWait<1>();
    __syncthreads();
    if (tile == 0) {
#pragma unroll
      for (int s = 0; s < kSteps; ++s)
        ptx::ldmatrixX4(qFrag[s], ptx::smemAddress(smemQ + (warp * 16 + (lane & 15)) * kQkStride +
                                                   (s * 2 + (lane >> 4)) * 8));
    }
    const __nv_bfloat16* kTile = smemK + buffer * kFlashKeys * kQkStride;
    const __nv_bfloat16* vTile = smemV + buffer * kFlashKeys * kVStride;

    float s[kKeyTiles][4] = {};
#pragma unroll
    for (int step = 0; step < kSteps; ++step) {
#pragma unroll
      for (int j = 0; j < kKeyTiles / 2; ++j) {
        uint32_t bFrag[4];
        const int key = j * 16 + (lane & 7) + ((lane >> 4) << 3);
        ptx::ldmatrixX4(bFrag,
                        ptx::smemAddress(kTile + key * kQkStride + (step * 2 + ((lane >> 3) & 1)) * 8));
        ptx::mmaBf16(s[2 * j], qFrag[step], bFrag[0], bFrag[1]);
        ptx::mmaBf16(s[2 * j + 1], qFrag[step], bFrag[2], bFrag[3]);
      }
    }

    float tileMax[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int j = 0; j < kKeyTiles; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = tile * kFlashKeys + j * 8 + 2 * qd + (e & 1);
        const int row = rowLo + (e >> 1) * 8;
        const bool masked = key >= p.kvLen || (p.causal && key > row + offset);
        s[j][e] = masked ? -INFINITY : s[j][e] * p.scale;
        tileMax[e >> 1] = fmaxf(tileMax[e >> 1], s[j][e]);
      }
    float alpha[2], base[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 1));
      tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 2));
      const float newMax = fmaxf(rowMax[r], tileMax[r]);
      // A row with every key masked so far keeps max -inf; exp against 0 keeps it NaN-free.
      base[r] = newMax == -INFINITY ? 0.0f : newMax;
      alpha[r] = __expf(rowMax[r] - base[r]);
      rowMax[r] = newMax;
      rowSum[r] *= alpha[r];
    }
#pragma unroll
    for (int j = 0; j < kVTiles; ++j) {
      o[j][0] *= alpha[0];
      o[j][1] *= alpha[0];
      o[j][2] *= alpha[1];
      o[j][3] *= alpha[1];
    }
#pragma unroll
    for (int j = 0; j < kKeyTiles; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[j][e] = __expf(s[j][e] - base[e >> 1]);
        rowSum[e >> 1] += s[j][e];
      }

#pragma unroll
    for (int kk = 0; kk < kFlashKeys / 16; ++kk) {
      const uint32_t aFrag[4] = {ptx::packBf16(s[2 * kk][0], s[2 * kk][1]),
                                 ptx::packBf16(s[2 * kk][2], s[2 * kk][3]),
                                 ptx::packBf16(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                 ptx::packBf16(s[2 * kk + 1][2], s[2 * kk + 1][3])};
      const int key = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
#pragma unroll
      for (int j = 0; j < kVTiles / 2; ++j) {
        uint32_t bFrag[4];
        ptx::ldmatrixX4Trans(bFrag, ptx::smemAddress(vTile + key * kVStride + j * 16 + (lane >> 4) * 8));
        ptx::mmaBf16(o[2 * j], aFrag, bFrag[0], bFrag[1]);
        ptx::mmaBf16(o[2 * j + 1], aFrag, bFrag[2], bFrag[3]);
      }
    }
    __syncthreads();  // the next prefetch overwrites this buffer
  }
  ptx::cpAsyncWait<0>();

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    rowSum[r] += __shfl_xor_sync(0xffffffffu, rowSum[r], 1);
    rowSum[r] += __shfl_xor_sync(0xffffffffu, rowSum[r], 2);
  }
  __nv_bfloat16* out = p.out + b * p.oBatch + h * p.oHead;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = rowLo + r * 8;
    if (row >= p.qLen) continue;
    const float inverse = rowSum[r] > 0.0f ? 1.0f / rowSum[r] : 0.0f;
#pragma unroll
    for (int j = 0; j < kVTiles; ++j) {
      const int col = j * 8 + 2 * qd;
      if (col >= p.vDim) continue;
      *reinterpret_cast<__nv_bfloat162*>(out + row * p.oToken + col) =
          __floats2bfloat162_rn(o[j][2 * r] * inverse, o[j][2 * r + 1] * inverse);
    }
  }
}

template <int kQk, int kV, int kWarps>
void launchFlashPrefill(const FlashParams& p, int batch, cudaStream_t stream, const char* launchName) {
  constexpr int kSmem = flashSmemBytes<kQk, kV, kWarps>();
  constexpr auto kernel = flashPrefillKernel<kQk, kV, kWarps>;
  ensureSharedMemory<kernel>(kSmem, "flashPrefillKernel shared memory");
  const dim3 grid((p.qLen + kWarps * 16 - 1) / (kWarps * 16), p.heads, batch);
  kernel<<<grid, kWarps * 32, kSmem, stream>>>(p);
  checkLaunch(launchName);
}

}  // namespace vl2::cuda::attention
