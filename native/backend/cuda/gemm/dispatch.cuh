// Chooses the kernel for a GEMM launch and launches it; included by the .cu files that
// instantiate it (gemm.cu for plain and gate-up, moe/grouped_gemm.cu for experts).
#pragma once

#include <cuda_runtime.h>

#include "backend/cuda/check.h"
#include "backend/cuda/gemm/config.h"
#include "backend/cuda/gemm/gemm.h"
#include "backend/cuda/gemm/params.h"
#include "backend/cuda/gemm/skinny_kernel.cuh"
#include "backend/cuda/gemm/sm90/launch.cuh"
#include "backend/cuda/gemm/tiled_kernel.cuh"

namespace vl2::cuda::gemmk {

inline void validate(const GemmParams& p) {
  require(p.n > 0 && p.k > 0 && p.m >= 0, "GEMM sizes must be positive");
  require(p.k % 8 == 0, "GEMM k must be a multiple of 8 (16-byte rows)");
  require(p.n % 2 == 0, "GEMM n must be even (paired stores)");
  require(p.outStride >= p.n && p.outStride % 2 == 0, "GEMM output stride must be >= n and even");
  require(p.residual == nullptr || (p.residualStride >= p.n && p.residualStride % 2 == 0),
          "GEMM residual stride must be >= n and even");
}

template <class Cfg, bool kGrouped, bool kGateUp, class OutT>
void launchTiled(const GemmParams& p, cudaStream_t stream) {
  constexpr auto kernel = tiledGemmKernel<Cfg, kGrouped, kGateUp, OutT>;
  ensureSharedMemory<kernel>(Cfg::kSmemBytes, "tiledGemmKernel shared memory");
  const int featuresPerBlock = kGateUp ? Cfg::BN / 2 : Cfg::BN;
  // Grouped: each group's row tiles start fresh, so at most `groups` extra tiles.
  const int rowTiles = (p.m + Cfg::BM - 1) / Cfg::BM + (kGrouped ? p.groups : 0);
  const dim3 grid(rowTiles, (p.n + featuresPerBlock - 1) / featuresPerBlock);
  kernel<<<grid, Cfg::kThreads, Cfg::kSmemBytes, stream>>>(p);
  checkLaunch(kGrouped ? "tiledGemmKernel(grouped)" : "tiledGemmKernel");
}

template <int kTokenTiles, bool kGrouped, bool kGateUp, class OutT>
void launchSkinny(const GemmParams& p, cudaStream_t stream) {
  const dim3 grid((p.n + kSkinnyRows - 1) / kSkinnyRows, kGrouped ? p.groups : 1);
  skinnyGemmKernel<kTokenTiles, kGrouped, kGateUp, OutT><<<grid, kSkinnyWarps * 32, 0, stream>>>(p);
  checkLaunch(kGrouped ? "skinnyGemmKernel(grouped)" : "skinnyGemmKernel");
}

// The Hopper kernels take a launch on a cc 9.x device when asked for (GemmPath), or by
// default (kAuto) where sm90::kDenseDefault / kGroupedDefault say they passed the fp64 checks
// on the GPU and measured faster than mma.sync.
inline bool takesSm90(GemmPath path, bool defaultOn) {
  if (path == GemmPath::kMmaSync) return false;
  if (path == GemmPath::kAuto && !defaultOn) return false;
  return sm90::isHopper();
}

inline sm90::TileChoice sm90Tile(GemmPath path) {
  switch (path) {
    case GemmPath::kSm90Wide: return sm90::TileChoice::kWide;
    case GemmPath::kSm90Mid: return sm90::TileChoice::kMid;
    case GemmPath::kSm90Narrow: return sm90::TileChoice::kNarrow;
    default: return sm90::TileChoice::kAuto;
  }
}

// Plain and gate-up: rows known on the host. Which kernel a GPU takes: sm90 (cc 9.x, at least
// sm90::kMinRows rows, 16-byte aligned operands), else skinny (m <= 16), else mma.sync tiles.
template <bool kGateUp, class OutT>
void runDense(const GemmParams& p, cudaStream_t stream) {
  validate(p);
  if (p.m == 0) return;
  const GemmPath path = gemmPath();
  // An explicit sm90 path takes every size (the checks cover the tails that way).
  const bool sizeFits = p.m >= sm90::kMinRows || path != GemmPath::kAuto;
  if (sizeFits && takesSm90(path, sm90::kDenseDefault) && sm90::denseFits(p))
    return sm90::runDense<kGateUp, OutT>(p, sm90Tile(path), stream);
  if (p.m <= 8) return launchSkinny<1, false, kGateUp, OutT>(p, stream);
  if (p.m <= kSkinnyMaxTokens) return launchSkinny<2, false, kGateUp, OutT>(p, stream);
  const int largeBlocks =
      ((p.m + LargeTile::BM - 1) / LargeTile::BM) * ((p.n + LargeTile::BN - 1) / LargeTile::BN);
  if (largeBlocks >= multiprocessorCount()) return launchTiled<LargeTile, false, kGateUp, OutT>(p, stream);
  launchTiled<MediumTile, false, kGateUp, OutT>(p, stream);
}

// Grouped: per-group row counts live on the device; sm90 when `tokens` reaches sm90::kMinRows. `tokens` (rows
// before the top-k fan-out) bounds every group's rows, which picks the skinny kernel for decode.
template <bool kGateUp, class OutT>
void runGrouped(const GemmParams& p, int tokens, cudaStream_t stream) {
  validate(p);
  require(p.groups > 0 && p.groupOffsets != nullptr, "grouped GEMM needs group offsets");
  if (p.m == 0) return;
  if (tokens <= kSkinnyMaxTokens) return launchSkinny<2, true, kGateUp, OutT>(p, stream);
  const GemmPath path = gemmPath();
  const bool sizeFits = tokens >= sm90::kMinRows || path != GemmPath::kAuto;
  if (sizeFits && takesSm90(path, sm90::kGroupedDefault) && p.groups <= sm90::kMaxGroups)
    return sm90::runGrouped<kGateUp, OutT>(p, sm90Tile(path), stream);
  launchTiled<GroupedTile, true, kGateUp, OutT>(p, stream);
}

}  // namespace vl2::cuda::gemmk
