// Hopper GEMM (sm_90a): wgmma (bf16 in, fp32 accumulate) from a kStages smem ring filled by a
// loading warpgroup, mbarriers between them; persistent blocks walk the output tiles.
// Dense launches load with TMA (one thread issues, 128-byte swizzle); grouped (MoE) launches
// gather rows with cp.async from all 128 loading threads and apply the same swizzle by hand.
// One kernel serves plain, gate-up (SiLU fused) and grouped launches (params.h semantics).
#pragma once

#include <cuda.h>
#include <cuda_bf16.h>

#include <cstdint>

#include "backend/cuda/gemm/epilogue.cuh"
#include "backend/cuda/gemm/params.h"
#include "backend/cuda/gemm/sm90/config.h"
#include "backend/cuda/gemm/sm90/ptx.cuh"
#include "backend/cuda/gemm/sm90/wgmma.cuh"
#include "backend/cuda/gemm/tiled_kernel.cuh"
#include "backend/cuda/ptx.cuh"

namespace vl2::cuda::sm90 {

using gemmk::GemmParams;

// Grouped launches keep the expert offsets in smem: one lookup per tile walks them all.
constexpr int kMaxGroups = 256;

struct Tile {
  int rowBegin;  // first row of the group (0 when dense)
  int rows;      // rows of the group (m when dense)
  int m0;        // first row of the tile inside the group
  int n0;        // first output feature of the tile
  int group;
};

// Tiles in launch order; `tile` counts up in each block by gridDim.x, so once one is past the
// end every later one is too.
template <class Cfg, bool kGrouped, bool kGateUp>
struct TileOrder {
  static constexpr int kFeatures = kGateUp ? Cfg::BN / 2 : Cfg::BN;
  int tilesN;
  int tilesM;          // dense: exact; grouped: upper bound (each group may start a fresh tile)
  const int* offsets;  // smem, grouped only

  __device__ int count() const { return tilesM * tilesN; }

  __device__ bool find(const GemmParams& p, int tile, Tile& t) const {
    if (tile >= count()) return false;
    if constexpr (kGrouped) {
      // Column tiles of one row tile run side by side: they share its gathered A rows.
      const int rowTile = tile / tilesN;
      t.n0 = tile % tilesN * kFeatures;
      int base = 0;
      for (int g = 0; g < p.groups; ++g) {
        const int rows = offsets[g + 1] - offsets[g];
        const int tiles = (rows + Cfg::BM - 1) / Cfg::BM;
        if (rowTile < base + tiles) {
          t.group = g;
          t.rowBegin = offsets[g];
          t.rows = rows;
          t.m0 = (rowTile - base) * Cfg::BM;
          return true;
        }
        base += tiles;
      }
      return false;
    } else {
      const int perGroup = kRasterRows * tilesN;
      const int first = tile / perGroup * kRasterRows;
      const int height = min(tilesM - first, kRasterRows);
      const int inGroup = tile % perGroup;
      t.group = 0;
      t.rowBegin = 0;
      t.rows = p.m;
      t.m0 = (first + inGroup % height) * Cfg::BM;
      t.n0 = inGroup / height * kFeatures;
      return true;
    }
  }
};

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

// The consumers' wgmma on one stage: 4 K steps of 16, accumulating unless first.
template <class Cfg>
__device__ __forceinline__ void mmaStage(float (&acc)[Cfg::kAccumulators], uint64_t descA, uint64_t descB,
                                         bool first) {
  constexpr int kStepDescriptor = 32 >> 4;  // 16 bf16 = 32 bytes, descriptors count 16 bytes
#pragma unroll
  for (int kk = 0; kk < Cfg::BK / 16; ++kk) {
    const int accumulate = (first && kk == 0) ? 0 : 1;
    if constexpr (Cfg::kWgmmaN == 256) {
      wgmmaM64N256K16(acc, descA + kk * kStepDescriptor, descB + kk * kStepDescriptor, accumulate);
    } else if constexpr (Cfg::kWgmmaN == 192) {
      wgmmaM64N192K16(acc, descA + kk * kStepDescriptor, descB + kk * kStepDescriptor, accumulate);
    } else {
      wgmmaM64N128K16(acc, descA + kk * kStepDescriptor, descB + kk * kStepDescriptor, accumulate);
    }
  }
}

// Dense loads: one thread issues the stage's TMA copies. Gate-up B stages hold, per consumer
// column span, the span's gate rows then the matching up rows.
template <class Cfg, bool kGateUp>
__device__ void loadWithTma(const GemmParams& p, const TileOrder<Cfg, false, kGateUp>& order,
                            const CUtensorMap& mapA, const CUtensorMap& mapB, const CUtensorMap& mapUp,
                            uint8_t* ring, uint64_t* full, uint64_t* empty) {
  constexpr int W = Cfg::kWgmmaN;
  const int kTiles = (p.k + Cfg::BK - 1) / Cfg::BK;
  int it = 0;
  Tile t;
  for (int tile = blockIdx.x; order.find(p, tile, t); tile += gridDim.x) {
    for (int kt = 0; kt < kTiles; ++kt, ++it) {
      const int s = it % Cfg::kStages;
      mbarrierWait(&empty[s], ((it / Cfg::kStages) & 1) ^ 1);
      mbarrierArriveExpectBytes(&full[s], Cfg::kStageBytes);
      uint8_t* a = ring + s * Cfg::kStageBytesA;
      uint8_t* b = ring + Cfg::kStages * Cfg::kStageBytesA + s * Cfg::kStageBytesB;
      const int k0 = kt * Cfg::BK;
      tmaLoad2d(a, &mapA, &full[s], k0, t.m0);
      if constexpr (kGateUp) {
#pragma unroll
        for (int span = 0; span < Cfg::BN / W; ++span) {
          tmaLoad2d(b + span * W * Cfg::BK * 2, &mapB, &full[s], k0, t.n0 + span * W / 2);
          tmaLoad2d(b + (span * W + W / 2) * Cfg::BK * 2, &mapUp, &full[s], k0, t.n0 + span * W / 2);
        }
      } else {
        tmaLoad2d(b, &mapB, &full[s], k0, t.n0);
      }
    }
  }
}

// Grouped loads: every loading thread copies 16-byte chunks (gathering A rows through
// rowSource); its arrival on the stage's barrier fires when its copies have landed
// (cp.async.mbarrier.arrive), so the loader never waits on its own copies. (A first version
// waited for its own copies two stages back and fenced before arriving: 0.16-0.55x torch.)
template <class Cfg, bool kGateUp>
__device__ void loadWithCopies(const GemmParams& p, const TileOrder<Cfg, true, kGateUp>& order, uint8_t* ring,
                               uint64_t* full, uint64_t* empty) {
  constexpr int W = Cfg::kWgmmaN;
  constexpr int kRowsPerPass = 128 / 8;  // 8 chunks of 16 bytes a 64-element row
  constexpr int kChunksA = Cfg::BM / kRowsPerPass;
  constexpr int kChunksB = Cfg::BN / kRowsPerPass;
  const int tid = threadIdx.x, chunk = tid % 8, firstRow = tid / 8;
  const int kTiles = (p.k + Cfg::BK - 1) / Cfg::BK;
  int it = 0;
  Tile t;
  for (int tile = blockIdx.x; order.find(p, tile, t); tile += gridDim.x) {
    const __nv_bfloat16* srcA[kChunksA];
#pragma unroll
    for (int i = 0; i < kChunksA; ++i) {
      const int row = t.m0 + firstRow + i * kRowsPerPass;
      if (row < t.rows) {
        const int r = t.rowBegin + row;
        srcA[i] = p.x + static_cast<size_t>(p.rowSource != nullptr ? p.rowSource[r] : r) * p.k;
      } else {
        srcA[i] = nullptr;
      }
    }
    const __nv_bfloat16* w = p.wGroups[t.group];
    const __nv_bfloat16* wUp = kGateUp ? p.wUpGroups[t.group] : nullptr;
    for (int kt = 0; kt < kTiles; ++kt, ++it) {
      const int s = it % Cfg::kStages;
      mbarrierWait(&empty[s], ((it / Cfg::kStages) & 1) ^ 1);
      __nv_bfloat16* a = reinterpret_cast<__nv_bfloat16*>(ring + s * Cfg::kStageBytesA);
      __nv_bfloat16* b =
          reinterpret_cast<__nv_bfloat16*>(ring + Cfg::kStages * Cfg::kStageBytesA + s * Cfg::kStageBytesB);
      const int k = kt * Cfg::BK + chunk * 8;
      const bool kValid = k < p.k;
#pragma unroll
      for (int i = 0; i < kChunksA; ++i) {
        const bool ok = kValid && srcA[i] != nullptr;
        ptx::cpAsync16(smemAddress(a + gemmk::swizzled(firstRow + i * kRowsPerPass, chunk)),
                       ok ? srcA[i] + k : p.x, ok);
      }
#pragma unroll
      for (int i = 0; i < kChunksB; ++i) {
        const int row = firstRow + i * kRowsPerPass;
        int feature;
        const __nv_bfloat16* base = w;
        if constexpr (kGateUp) {
          const int inSpan = row % W;
          feature = t.n0 + row / W * (W / 2) + inSpan % (W / 2);
          if (inSpan >= W / 2) base = wUp;
        } else {
          feature = t.n0 + row;
        }
        const bool ok = kValid && feature < p.n;
        ptx::cpAsync16(smemAddress(b + gemmk::swizzled(row, chunk)),
                       ok ? base + static_cast<size_t>(feature) * p.k + k : base, ok);
      }
      cpAsyncArrive(&full[s]);
    }
  }
  ptx::cpAsyncWait<0>();
}

// Consumer warpgroup `consumer` (0 or 1): its 64 rows x W columns of every tile, then the
// epilogue straight from the accumulators (bias and residual in fp32, one rounding).
// TMA-store epilogue of one consumer's 64 rows: results (bias, residual or SiLU applied) into
// the staging tile in the store map's swizzle, then one thread stores the boxes. The previous
// tile's stores must have read the staging tile first.
template <class Cfg, bool kGateUp>
__device__ void storeThroughSmem(const GemmParams& p, const Tile& t, const float (&acc)[Cfg::kAccumulators],
                                 int consumer, const CUtensorMap& mapOut, uint8_t* staging) {
  constexpr int W = Cfg::kWgmmaN;
  constexpr int kFeatures = kGateUp ? W / 2 : W;
  constexpr int kBoxBytes = Cfg::BM * Cfg::kStoreBoxColumns * 2;
  static_assert(Cfg::kConsumersAlongM == 2 && kFeatures % Cfg::kStoreBoxColumns == 0,
                "each consumer stores whole boxes of its 64 rows");
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32 % 4, q = lane % 4;
  const bool issuer = threadIdx.x % 128 == 0;
  const int barrier = 1 + consumer;  // one named barrier per consumer warpgroup
  uint8_t* rows = staging + consumer * 64 * 128;
  if (issuer) bulkWaitRead();
  namedBarrier(barrier, 128);
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int localRow = warp * 16 + lane / 4 + half * 8;
    const int row = t.m0 + consumer * 64 + localRow;
#pragma unroll
    for (int j = 0; j < kFeatures / 8; ++j) {
      const int n = t.n0 + j * 8 + 2 * q;
      float v0, v1;
      if constexpr (kGateUp) {
        v0 = gemmk::siluMul(acc[j * 4 + half * 2], acc[(j + W / 16) * 4 + half * 2]);
        v1 = gemmk::siluMul(acc[j * 4 + half * 2 + 1], acc[(j + W / 16) * 4 + half * 2 + 1]);
      } else {
        v0 = acc[j * 4 + half * 2];
        v1 = acc[j * 4 + half * 2 + 1];
        if (row < p.m && n < p.n) gemmk::addBiasResidual(p, row, n, v0, v1);
      }
      const int chunk = j % 8;  // 16-byte chunk inside the box's 128-byte row
      __nv_bfloat162* slot = reinterpret_cast<__nv_bfloat162*>(rows + j / 8 * kBoxBytes + localRow * 128 +
                                                               ((chunk ^ (localRow % 8)) * 16) + q * 4);
      *slot = __floats2bfloat162_rn(v0, v1);
    }
  }
  fenceProxyAsync();
  namedBarrier(barrier, 128);
  if (issuer) {
#pragma unroll
    for (int box = 0; box < kFeatures / Cfg::kStoreBoxColumns; ++box)
      tmaStore2d(&mapOut, rows + box * kBoxBytes, t.n0 + box * Cfg::kStoreBoxColumns, t.m0 + consumer * 64);
    bulkCommit();
  }
}

template <class Cfg, bool kGrouped, bool kGateUp, class OutT>
__device__ void consume(const GemmParams& p, const TileOrder<Cfg, kGrouped, kGateUp>& order, int consumer,
                        uint8_t* ring, uint64_t* full, uint64_t* empty, const CUtensorMap& mapOut,
                        uint8_t* staging) {
  constexpr int W = Cfg::kWgmmaN;
  const int rowSpan = Cfg::kConsumersAlongM == 2 ? consumer : 0;
  const int colSpan = Cfg::kConsumersAlongM == 2 ? 0 : consumer;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32 % 4;
  const int kTiles = (p.k + Cfg::BK - 1) / Cfg::BK;
  float acc[Cfg::kAccumulators];
#pragma unroll
  for (int i = 0; i < Cfg::kAccumulators; ++i) acc[i] = 0.0f;  // the first K step overwrites them
  int it = 0;
  Tile t;
  for (int tile = blockIdx.x; order.find(p, tile, t); tile += gridDim.x) {
    // One stage's wgmma stays in flight while the next is issued; a stage goes back to the
    // loader once the wgmma after it has been issued (so its own has completed).
    int previous = -1;
    for (int kt = 0; kt < kTiles; ++kt, ++it) {
      const int s = it % Cfg::kStages;
      mbarrierWait(&full[s], (it / Cfg::kStages) & 1);
      // cp.async wrote the stage through the generic proxy; wgmma reads through the async one.
      if constexpr (kGrouped) fenceProxyAsync();
      const uint8_t* a = ring + s * Cfg::kStageBytesA + rowSpan * 64 * Cfg::BK * 2;
      const uint8_t* b =
          ring + Cfg::kStages * Cfg::kStageBytesA + s * Cfg::kStageBytesB + colSpan * W * Cfg::BK * 2;
      wgmmaFence();
      fenceAccumulators(acc);
      mmaStage<Cfg>(acc, swizzledDescriptor(a), swizzledDescriptor(b), kt == 0);
      wgmmaCommit();
      wgmmaWait<1>();
      fenceAccumulators(acc);
      if (previous >= 0 && lane == 0) mbarrierArrive(&empty[previous]);
      previous = s;
    }
    wgmmaWait<0>();
    fenceAccumulators(acc);
    if (lane == 0) mbarrierArrive(&empty[previous]);
    if constexpr (Cfg::kStoreTma && !kGrouped && sizeof(OutT) == 2) {
      storeThroughSmem<Cfg, kGateUp>(p, t, acc, consumer, mapOut, staging);
      continue;
    }
    const int q = lane % 4;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int rowInGroup = t.m0 + rowSpan * 64 + warp * 16 + lane / 4 + half * 8;
      if (rowInGroup >= t.rows) continue;
      const int row = t.rowBegin + rowInGroup;
      if constexpr (kGateUp) {
#pragma unroll
        for (int j = 0; j < W / 16; ++j) {
          const int n = t.n0 + colSpan * (W / 2) + j * 8 + 2 * q;
          if (n >= p.n) continue;
          const float* gate = &acc[j * 4 + half * 2];
          const float* up = &acc[(j + W / 16) * 4 + half * 2];
          gemmk::storePair<OutT>(p, row, n, gemmk::siluMul(gate[0], up[0]), gemmk::siluMul(gate[1], up[1]),
                                 false);
        }
      } else {
#pragma unroll
        for (int j = 0; j < W / 8; ++j) {
          const int n = t.n0 + colSpan * W + j * 8 + 2 * q;
          if (n >= p.n) continue;
          gemmk::storePair<OutT>(p, row, n, acc[j * 4 + half * 2], acc[j * 4 + half * 2 + 1], true);
        }
      }
    }
  }
  // The staging tile must outlive the last stores' reads of it.
  if (Cfg::kStoreTma && threadIdx.x % 128 == 0) bulkWait();
}

#endif  // __CUDA_ARCH_FEAT_SM90_ALL

// grid: min(tiles, SMs) persistent blocks; block: Cfg::kThreads; smem: Cfg::kSmemBytes.
// The tensor maps are used by dense launches only (grouped ones pass zeroed maps); mapOut by
// the kStoreTma tiles only.
template <class Cfg, bool kGrouped, bool kGateUp, class OutT>
__global__ void __launch_bounds__(Cfg::kThreads, 1)
    sm90GemmKernel(const __grid_constant__ CUtensorMap mapA, const __grid_constant__ CUtensorMap mapB,
                   const __grid_constant__ CUtensorMap mapUp, const __grid_constant__ CUtensorMap mapOut,
                   const GemmParams p, int tilesM, int tilesN) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ uint8_t smemRaw[];
  __shared__ int offsets[kGrouped ? kMaxGroups + 1 : 1];
  uint8_t* ring =
      reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smemRaw) + 1023) & ~uintptr_t{1023});
  uint8_t* staging = ring + Cfg::kStages * Cfg::kStageBytes;
  uint64_t* full = reinterpret_cast<uint64_t*>(staging + Cfg::kStoreBytes);
  uint64_t* empty = full + Cfg::kStages;
  if (threadIdx.x == 0) {
    for (int s = 0; s < Cfg::kStages; ++s) {
      mbarrierInit(&full[s], kGrouped ? 128 : 1);
      mbarrierInit(&empty[s], Cfg::kConsumers * 4);  // lane 0 of every consumer warp
    }
    fenceBarrierInit();
  }
  if constexpr (kGrouped) {
    for (int g = threadIdx.x; g <= p.groups; g += blockDim.x) offsets[g] = p.groupOffsets[g];
  }
  __syncthreads();
  const TileOrder<Cfg, kGrouped, kGateUp> order{tilesN, tilesM, offsets};
  const int warpgroup = threadIdx.x / 128;
  // Grouped launches keep the even split: their loaders address 20 chunks a stage (spilled
  // at 56 registers) and their consumers hold only 64 accumulators.
  if (warpgroup == 0) {
    if constexpr (!kGrouped) lowerRegisters<kProducerRegisters>();
    if constexpr (kGrouped) {
      loadWithCopies<Cfg, kGateUp>(p, order, ring, full, empty);
    } else if (threadIdx.x == 0) {
      loadWithTma<Cfg, kGateUp>(p, order, mapA, mapB, mapUp, ring, full, empty);
    }
  } else {
    if constexpr (!kGrouped) raiseRegisters<kConsumerRegisters>();
    consume<Cfg, kGrouped, kGateUp, OutT>(p, order, warpgroup - 1, ring, full, empty, mapOut, staging);
  }
#else
  __trap();  // built without sm_90a code: the launcher checks binaryVersion and never comes here
#endif
}

}  // namespace vl2::cuda::sm90
