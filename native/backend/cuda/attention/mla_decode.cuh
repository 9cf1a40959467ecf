// MLA decode over the paged latent cache, on tensor cores. The latent is shared by all
// heads (MQA with 576-dim keys and 512-dim values), so a block takes every head of one
// sequence at once: heads are the mma rows, a page's 64 tokens the columns, and each
// cache byte is read once per split. Per page: S = Q K^T (4 warps x 16 tokens), online
// softmax in fp32 through smem, O += P V (4 warps x 128 columns). The next page streams in
// by cp.async while this one is computed.
#pragma once

#include <cuda_bf16.h>

#include <cfloat>
#include <cstdint>

#include "backend/cuda/attention/config.h"
#include "backend/cuda/attention/paged_decode_split.h"
#include "backend/cuda/ptx.cuh"

namespace vl2::cuda::attention {

struct MlaDecodeParams : PagedDecodeSplit {  // valueDim 512
  const __nv_bfloat16* qLatent;              // [batch, heads, 512]
  const __nv_bfloat16* qRope;                // [batch, heads, 64]
  const __nv_bfloat16* kvCache;              // [blocks, 64, 576]
};

constexpr int kMlaScoreStride = kPageTokens + 4;  // fp32 scores, padded against conflicts
constexpr int kMlaProbStride = kPageTokens + 8;   // bf16 probabilities: 9 chunks a row

template <int kHeadTiles>
constexpr int mlaDecodeSmemBytes() {
  return (kHeadTiles * 16 * kMlaSmemRow + 2 * kPageTokens * kMlaSmemRow) * 2 +
         kHeadTiles * 16 * kMlaScoreStride * 4 + kHeadTiles * 16 * kMlaProbStride * 2 +
         3 * kHeadTiles * 16 * 4;
}

// grid: (splits, batch); block: kMlaDecodeThreads; smem: mlaDecodeSmemBytes<kHeadTiles>().
template <int kHeadTiles>
__global__ void __launch_bounds__(kMlaDecodeThreads) mlaDecodeKernel(const MlaDecodeParams p) {
  constexpr int kRows = kHeadTiles * 16;
  constexpr int kChunksPerRow = kMlaCacheDim / 8;
  extern __shared__ uint4 smemRaw[];
  __nv_bfloat16* smemQ = reinterpret_cast<__nv_bfloat16*>(smemRaw);
  __nv_bfloat16* smemKv = smemQ + kRows * kMlaSmemRow;
  float* smemScore = reinterpret_cast<float*>(smemKv + 2 * kPageTokens * kMlaSmemRow);
  __nv_bfloat16* smemProb = reinterpret_cast<__nv_bfloat16*>(smemScore + kRows * kMlaScoreStride);
  float* smemMax = reinterpret_cast<float*>(smemProb + kRows * kMlaProbStride);
  float* smemSum = smemMax + kRows;
  float* smemAlpha = smemSum + kRows;

  const int split = blockIdx.x, b = blockIdx.y;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int seqLen = p.seqLens[b];
  const int tokenBegin = split * p.tokensPerSplit;
  const int tokenEnd = min(seqLen, tokenBegin + p.tokensPerSplit);
  const size_t partialRow = (static_cast<size_t>(b) * p.splits + split) * p.heads;

  if (tokenBegin >= tokenEnd) {  // this split lies past the sequence: an empty part
    for (int i = tid; i < p.heads * kMlaLatentDim; i += blockDim.x)
      p.partialOut[partialRow * kMlaLatentDim + i] = 0.0f;
    for (int h = tid; h < p.heads; h += blockDim.x) p.partialLse[partialRow + h] = -INFINITY;
    return;
  }

  for (int i = tid; i < kRows * kChunksPerRow; i += blockDim.x) {
    const int h = i / kChunksPerRow, chunk = i % kChunksPerRow;
    const bool ok = h < p.heads;
    const size_t head = static_cast<size_t>(b) * p.heads + (ok ? h : 0);
    const __nv_bfloat16* src = chunk < kMlaLatentDim / 8
                                   ? p.qLatent + head * kMlaLatentDim + chunk * 8
                                   : p.qRope + head * kMlaRopeDim + (chunk - kMlaLatentDim / 8) * 8;
    ptx::cpAsync16(ptx::smemAddress(smemQ + h * kMlaSmemRow + chunk * 8), src, ok);
  }
  const int32_t* table = p.blockTable + static_cast<size_t>(b) * p.maxBlocksPerSequence;
  auto loadPage = [&](int buffer, int pageStart) {
    const int32_t block = table[pageStart / kPageTokens];
    const __nv_bfloat16* page = p.kvCache + static_cast<size_t>(block) * kPageTokens * kMlaCacheDim;
    __nv_bfloat16* dst = smemKv + buffer * kPageTokens * kMlaSmemRow;
    for (int i = tid; i < kPageTokens * kChunksPerRow; i += blockDim.x) {
      const int t = i / kChunksPerRow, chunk = i % kChunksPerRow;
      // Slots past the sequence may hold anything (NaN too): zero them, never read them.
      const bool ok = pageStart + t < tokenEnd;
      ptx::cpAsync16(ptx::smemAddress(dst + t * kMlaSmemRow + chunk * 8),
                     page + (ok ? t : 0) * kMlaCacheDim + chunk * 8, ok);
    }
  };
  loadPage(0, tokenBegin);
  ptx::cpAsyncCommit();
  for (int r = tid; r < kRows; r += blockDim.x) {
    smemMax[r] = -INFINITY;
    smemSum[r] = 0.0f;
  }

  float acc[kHeadTiles][16][4];
#pragma unroll
  for (int i = 0; i < kHeadTiles; ++i)
#pragma unroll
    for (int j = 0; j < 16; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;
  const int g = lane >> 2, q = lane & 3;

  int buffer = 0;
  for (int pageStart = tokenBegin; pageStart < tokenEnd; pageStart += kPageTokens) {
    if (pageStart + kPageTokens < tokenEnd) loadPage(buffer ^ 1, pageStart + kPageTokens);
    ptx::cpAsyncCommit();
    ptx::cpAsyncWait<1>();
    __syncthreads();
    const __nv_bfloat16* kv = smemKv + buffer * kPageTokens * kMlaSmemRow;

    // Scores of this warp's 16 tokens for every head.
    float s[kHeadTiles][2][4] = {};
#pragma unroll 4
    for (int kk = 0; kk < kMlaCacheDim / 16; ++kk) {
      uint32_t bFrag[4];
      const int tokenRow = warp * 16 + (lane & 7) + ((lane >> 4) << 3);
      ptx::ldmatrixX4(bFrag,
                      ptx::smemAddress(kv + tokenRow * kMlaSmemRow + (kk * 2 + ((lane >> 3) & 1)) * 8));
#pragma unroll
      for (int i = 0; i < kHeadTiles; ++i) {
        uint32_t aFrag[4];
        ptx::ldmatrixX4(aFrag, ptx::smemAddress(smemQ + (i * 16 + (lane & 15)) * kMlaSmemRow +
                                                (kk * 2 + (lane >> 4)) * 8));
        ptx::mmaBf16(s[i][0], aFrag, bFrag[0], bFrag[1]);
        ptx::mmaBf16(s[i][1], aFrag, bFrag[2], bFrag[3]);
      }
    }
#pragma unroll
    for (int i = 0; i < kHeadTiles; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int row = i * 16 + g + (e >> 1) * 8;
          const int col = warp * 16 + j * 8 + 2 * q + (e & 1);
          smemScore[row * kMlaScoreStride + col] =
              pageStart + col < tokenEnd ? s[i][j][e] * p.scale : -INFINITY;
        }
    __syncthreads();

    // Online softmax, one warp a row, two tokens a lane.
    for (int row = warp; row < kRows; row += kMlaDecodeThreads / 32) {
      const float s0 = smemScore[row * kMlaScoreStride + lane];
      const float s1 = smemScore[row * kMlaScoreStride + lane + 32];
      float rowMax = fmaxf(s0, s1);
      for (int o = 16; o > 0; o >>= 1) rowMax = fmaxf(rowMax, __shfl_xor_sync(0xffffffffu, rowMax, o));
      const float previous = smemMax[row];
      const float newMax = fmaxf(previous, rowMax);  // finite: a page holds a valid token
      const float p0 = __expf(s0 - newMax), p1 = __expf(s1 - newMax);
      smemProb[row * kMlaProbStride + lane] = __float2bfloat16_rn(p0);
      smemProb[row * kMlaProbStride + lane + 32] = __float2bfloat16_rn(p1);
      float rowSum = p0 + p1;
      for (int o = 16; o > 0; o >>= 1) rowSum += __shfl_xor_sync(0xffffffffu, rowSum, o);
      if (lane == 0) {
        const float alpha = __expf(previous - newMax);
        smemAlpha[row] = alpha;
        smemSum[row] = smemSum[row] * alpha + rowSum;
        smemMax[row] = newMax;
      }
    }
    __syncthreads();

    // O = O * alpha + P V over this warp's 128 latent columns.
#pragma unroll
    for (int i = 0; i < kHeadTiles; ++i) {
      const float alphaLo = smemAlpha[i * 16 + g], alphaHi = smemAlpha[i * 16 + g + 8];
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        acc[i][j][0] *= alphaLo;
        acc[i][j][1] *= alphaLo;
        acc[i][j][2] *= alphaHi;
        acc[i][j][3] *= alphaHi;
      }
    }
#pragma unroll
    for (int kk = 0; kk < kPageTokens / 16; ++kk) {
      uint32_t aFrag[kHeadTiles][4];
#pragma unroll
      for (int i = 0; i < kHeadTiles; ++i)
        ptx::ldmatrixX4(aFrag[i], ptx::smemAddress(smemProb + (i * 16 + (lane & 15)) * kMlaProbStride +
                                                   (kk * 2 + (lane >> 4)) * 8));
      const int token = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        uint32_t bFrag[4];
        const int col = warp * 128 + j * 16 + (lane >> 4) * 8;
        ptx::ldmatrixX4Trans(bFrag, ptx::smemAddress(kv + token * kMlaSmemRow + col));
#pragma unroll
        for (int i = 0; i < kHeadTiles; ++i) {
          ptx::mmaBf16(acc[i][2 * j], aFrag[i], bFrag[0], bFrag[1]);
          ptx::mmaBf16(acc[i][2 * j + 1], aFrag[i], bFrag[2], bFrag[3]);
        }
      }
    }
    __syncthreads();  // the next page overwrites scores, probabilities and this buffer
    buffer ^= 1;
  }
  ptx::cpAsyncWait<0>();

#pragma unroll
  for (int i = 0; i < kHeadTiles; ++i) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int h = i * 16 + g + half * 8;
      if (h >= p.heads) continue;
      const float inverse = 1.0f / smemSum[h];
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        const int col = warp * 128 + j * 8 + 2 * q;
        const float v0 = acc[i][j][half * 2] * inverse, v1 = acc[i][j][half * 2 + 1] * inverse;
        if (p.splits == 1) {
          *reinterpret_cast<__nv_bfloat162*>(p.out + (static_cast<size_t>(b) * p.heads + h) * kMlaLatentDim +
                                             col) = __floats2bfloat162_rn(v0, v1);
        } else {
          *reinterpret_cast<float2*>(p.partialOut + (partialRow + h) * kMlaLatentDim + col) =
              make_float2(v0, v1);
        }
      }
    }
  }
  if (p.splits > 1)
    for (int h = tid; h < p.heads; h += blockDim.x)
      p.partialLse[partialRow + h] = smemMax[h] + logf(smemSum[h]);
}

}  // namespace vl2::cuda::attention
