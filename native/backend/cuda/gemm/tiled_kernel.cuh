// Tensor-core tiled GEMM (mma.sync m16n8k16 bf16, fp32 accumulate; runs on sm_80 and
// sm_90): cp.async ring of kStages smem buffers, ldmatrix from XOR-swizzled 128-byte rows.
// One kernel serves plain, gate-up (SiLU fused) and grouped (MoE) launches.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>

#include "backend/cuda/gemm/config.h"
#include "backend/cuda/gemm/epilogue.cuh"
#include "backend/cuda/gemm/params.h"
#include "backend/cuda/ptx.cuh"

namespace vl2::cuda::gemmk {

// Element offset of 16-byte chunk `chunk` of smem row `row` (BK = 64: 8 chunks a row).
__device__ __forceinline__ int swizzled(int row, int chunk) { return row * 64 + ((chunk ^ (row & 7)) << 3); }

// Grouped launches: which group this block's row tile belongs to, from the device
// offsets (no host round trip). Returns false for the spare blocks of the upper bound.
template <int BM>
__device__ __forceinline__ bool findGroup(const GemmParams& p, int tile, int& group, int& rowBegin, int& rows,
                                          int& tileInGroup) {
  int tileBase = 0;
  for (int g = 0; g < p.groups; ++g) {
    const int begin = p.groupOffsets[g];
    const int count = p.groupOffsets[g + 1] - begin;
    const int tiles = (count + BM - 1) / BM;
    if (tile < tileBase + tiles) {
      group = g;
      rowBegin = begin;
      rows = count;
      tileInGroup = tile - tileBase;
      return true;
    }
    tileBase += tiles;
  }
  return false;
}

// grid: (row tiles (+ groups when grouped), n tiles); block: Cfg::kThreads; smem: Cfg::kSmemBytes.
template <class Cfg, bool kGrouped, bool kGateUp, class OutT>
__global__ void __launch_bounds__(Cfg::kThreads) tiledGemmKernel(const GemmParams p) {
  constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK;
  constexpr int kChunksA = BM * BK / 8 / Cfg::kThreads;
  constexpr int kChunksB = BN * BK / 8 / Cfg::kThreads;
  constexpr int MT = Cfg::kMmaTilesM, NT = Cfg::kMmaTilesN;
  extern __shared__ uint4 smemRaw[];
  __nv_bfloat16* smemA = reinterpret_cast<__nv_bfloat16*>(smemRaw);
  __nv_bfloat16* smemB = smemA + Cfg::kStages * BM * BK;

  int group = 0, rowBegin = 0, rows = p.m, rowTile = blockIdx.x;
  const __nv_bfloat16* w = p.w;
  const __nv_bfloat16* wUp = p.wUp;
  if constexpr (kGrouped) {
    if (!findGroup<BM>(p, blockIdx.x, group, rowBegin, rows, rowTile)) return;
    w = p.wGroups[group];
    if constexpr (kGateUp) wUp = p.wUpGroups[group];
  }
  const int m0 = rowTile * BM;
  // Gate-up blocks produce BN/2 features: gate and up rows share the B tile.
  const int n0 = blockIdx.y * (kGateUp ? BN / 2 : BN);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int warpM = warp / Cfg::WN, warpN = warp % Cfg::WN;

  // Each thread copies fixed rows every k step: resolve their sources once.
  const __nv_bfloat16* srcA[kChunksA];
  bool validA[kChunksA];
#pragma unroll
  for (int i = 0; i < kChunksA; ++i) {
    const int row = (tid + i * Cfg::kThreads) / 8;
    validA[i] = m0 + row < rows;
    int source = rowBegin + (validA[i] ? m0 + row : 0);
    if (p.rowSource != nullptr) source = p.rowSource[source];
    srcA[i] = p.x + static_cast<size_t>(source) * p.k;
  }
  const __nv_bfloat16* srcB[kChunksB];
  bool validB[kChunksB];
#pragma unroll
  for (int i = 0; i < kChunksB; ++i) {
    const int row = (tid + i * Cfg::kThreads) / 8;
    int feature;
    const __nv_bfloat16* base = w;
    if constexpr (kGateUp) {
      // Within each warp's column span the first half holds gate rows, the second the
      // matching up rows, so one thread ends up with both accumulators of a feature.
      constexpr int kHalf = Cfg::kWarpN / 2;
      const int span = row / Cfg::kWarpN, inSpan = row % Cfg::kWarpN;
      feature = n0 + span * kHalf + inSpan % kHalf;
      if (inSpan >= kHalf) base = wUp;
    } else {
      feature = n0 + row;
    }
    validB[i] = feature < p.n;
    srcB[i] = base + static_cast<size_t>(validB[i] ? feature : 0) * p.k;
  }

  const int kTiles = (p.k + BK - 1) / BK;
  auto loadStage = [&](int stage, int kTile) {
    const int k0 = kTile * BK;
#pragma unroll
    for (int i = 0; i < kChunksA; ++i) {
      const int idx = tid + i * Cfg::kThreads, row = idx / 8, chunk = idx % 8;
      const bool ok = validA[i] && k0 + chunk * 8 < p.k;
      ptx::cpAsync16(ptx::smemAddress(smemA + stage * BM * BK + swizzled(row, chunk)),
                     ok ? srcA[i] + k0 + chunk * 8 : p.x, ok);
    }
#pragma unroll
    for (int i = 0; i < kChunksB; ++i) {
      const int idx = tid + i * Cfg::kThreads, row = idx / 8, chunk = idx % 8;
      const bool ok = validB[i] && k0 + chunk * 8 < p.k;
      ptx::cpAsync16(ptx::smemAddress(smemB + stage * BN * BK + swizzled(row, chunk)),
                     ok ? srcB[i] + k0 + chunk * 8 : srcB[i], ok);
    }
  };

  float acc[MT][NT][4];
#pragma unroll
  for (int i = 0; i < MT; ++i)
#pragma unroll
    for (int j = 0; j < NT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

#pragma unroll
  for (int s = 0; s < Cfg::kStages - 1; ++s) {
    if (s < kTiles) loadStage(s, s);
    ptx::cpAsyncCommit();
  }

  for (int kt = 0; kt < kTiles; ++kt) {
    ptx::cpAsyncWait<Cfg::kStages - 2>();
    __syncthreads();
    const int next = kt + Cfg::kStages - 1;
    if (next < kTiles) loadStage(next % Cfg::kStages, next);
    ptx::cpAsyncCommit();

    const __nv_bfloat16* tileA = smemA + (kt % Cfg::kStages) * BM * BK;
    const __nv_bfloat16* tileB = smemB + (kt % Cfg::kStages) * BN * BK;
#pragma unroll
    for (int kk = 0; kk < BK / 16; ++kk) {
      uint32_t a[MT][4];
#pragma unroll
      for (int i = 0; i < MT; ++i) {
        const int row = warpM * Cfg::kWarpM + i * 16 + (lane & 15);
        ptx::ldmatrixX4(a[i], ptx::smemAddress(tileA + swizzled(row, kk * 2 + (lane >> 4))));
      }
      uint32_t b[NT][2];
#pragma unroll
      for (int j = 0; j < NT / 2; ++j) {
        const int row = warpN * Cfg::kWarpN + j * 16 + (lane & 7) + ((lane >> 4) << 3);
        uint32_t r[4];
        ptx::ldmatrixX4(r, ptx::smemAddress(tileB + swizzled(row, kk * 2 + ((lane >> 3) & 1))));
        b[2 * j][0] = r[0];
        b[2 * j][1] = r[1];
        b[2 * j + 1][0] = r[2];
        b[2 * j + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < MT; ++i)
#pragma unroll
        for (int j = 0; j < NT; ++j) ptx::mmaBf16(acc[i][j], a[i], b[j][0], b[j][1]);
    }
  }
  ptx::cpAsyncWait<0>();

  const int g = lane >> 2, q = lane & 3;
#pragma unroll
  for (int i = 0; i < MT; ++i) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int rowInGroup = m0 + warpM * Cfg::kWarpM + i * 16 + g + half * 8;
      if (rowInGroup >= rows) continue;
      const int row = rowBegin + rowInGroup;
      if constexpr (kGateUp) {
#pragma unroll
        for (int j = 0; j < NT / 2; ++j) {
          const int n = n0 + warpN * (Cfg::kWarpN / 2) + j * 8 + 2 * q;
          if (n >= p.n) continue;
          const float* gate = &acc[i][j][half * 2];
          const float* up = &acc[i][j + NT / 2][half * 2];
          storePair<OutT>(p, row, n, siluMul(gate[0], up[0]), siluMul(gate[1], up[1]), false);
        }
      } else {
#pragma unroll
        for (int j = 0; j < NT; ++j) {
          const int n = n0 + warpN * Cfg::kWarpN + j * 8 + 2 * q;
          if (n >= p.n) continue;
          storePair<OutT>(p, row, n, acc[i][j][half * 2], acc[i][j][half * 2 + 1], true);
        }
      }
    }
  }
}

}  // namespace vl2::cuda::gemmk
