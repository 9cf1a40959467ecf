// Host side of the Hopper GEMMs: tensor maps (cuTensorMapEncodeTiled, reached through the
// runtime's driver entry point so the binary links no libcuda), tile-shape choice and launch.
// gemmk::runDense / runGrouped (dispatch.cuh) call these on compute capability 9.x only.
#pragma once

#include <cuda.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "backend/cuda/check.h"
#include "backend/cuda/gemm/params.h"
#include "backend/cuda/gemm/sm90/config.h"
#include "backend/cuda/gemm/sm90/kernel.cuh"

namespace vl2::cuda::sm90 {

using gemmk::GemmParams;

using EncodeTiled = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                                 const cuuint64_t*, const cuuint32_t*, const cuuint32_t*,
                                 CUtensorMapInterleave, CUtensorMapSwizzle, CUtensorMapL2promotion,
                                 CUtensorMapFloatOOBfill);

inline EncodeTiled encodeTiled() {
  static const EncodeTiled function = [] {
    void* pointer = nullptr;
    cudaDriverEntryPointQueryResult found{};
    constexpr unsigned kDriverApiVersion = 12000;  // the signature above is cuTensorMapEncodeTiled_v12000
    check(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &pointer, kDriverApiVersion,
                                           cudaEnableDefault, &found),
          "cudaGetDriverEntryPointByVersion(cuTensorMapEncodeTiled)");
    require(found == cudaDriverEntryPointSuccess && pointer != nullptr,
            "the driver has no cuTensorMapEncodeTiled (needs CUDA 12 or newer)");
    return reinterpret_cast<EncodeTiled>(pointer);
  }();
  return function;
}

// [rows, columns] row-major bf16 (rowStride elements apart) in boxes of boxRows x 64 with the
// 128-byte swizzle; loads see zeros outside the tensor (the M, N and K tails), stores skip it.
inline CUtensorMap tileMap(const void* base, int rows, int columns, int rowStride, int boxRows) {
  CUtensorMap map{};
  const cuuint64_t dims[2] = {static_cast<cuuint64_t>(columns), static_cast<cuuint64_t>(rows)};
  const cuuint64_t strides[1] = {static_cast<cuuint64_t>(rowStride) * 2};
  const cuuint32_t box[2] = {64, static_cast<cuuint32_t>(boxRows)};
  const cuuint32_t elementStrides[2] = {1, 1};
  const CUresult result =
      encodeTiled()(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, const_cast<void*>(base), dims, strides, box,
                    elementStrides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                    CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (result != CUDA_SUCCESS)
    fail(ErrorCode::kCuda, "CUDA: cuTensorMapEncodeTiled failed with code " + std::to_string(result));
  return map;
}

// Compute capability 9.x, and this binary carries sm_90a code for the kernels (a build for
// other architectures only would run their empty sm_80 bodies there).
inline bool isHopper() {
  static std::atomic<int> cached[kMaxCachedDevices] = {};
  const int device = currentDevice();
  if (device < kMaxCachedDevices && cached[device].load(std::memory_order_relaxed) != 0)
    return cached[device].load(std::memory_order_relaxed) > 0;
  int major = 0;
  check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
        "cudaDeviceGetAttribute(compute capability)");
  bool usable = major == 9;
  if (usable) {
    cudaFuncAttributes attributes{};
    check(cudaFuncGetAttributes(&attributes, sm90GemmKernel<Sm90NarrowTile, false, false, float>),
          "cudaFuncGetAttributes(sm90GemmKernel)");
    usable = attributes.binaryVersion >= 90;
  }
  if (device < kMaxCachedDevices) cached[device].store(usable ? 1 : -1, std::memory_order_relaxed);
  return usable;
}

// TMA reads need 16-byte aligned bases (row strides are, since k % 8 == 0).
inline bool tmaAligned(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

inline bool denseFits(const GemmParams& p) {
  return tmaAligned(p.x) && tmaAligned(p.w) && (p.wUp == nullptr || tmaAligned(p.wUp));
}

template <class Cfg, bool kGrouped, bool kGateUp, class OutT>
void launch(const GemmParams& p, const CUtensorMap& mapA, const CUtensorMap& mapB, const CUtensorMap& mapUp,
            const CUtensorMap& mapOut, int tilesM, cudaStream_t stream) {
  constexpr auto kernel = sm90GemmKernel<Cfg, kGrouped, kGateUp, OutT>;
  ensureSharedMemory<kernel>(Cfg::kSmemBytes, "sm90GemmKernel shared memory");
  const int features = kGateUp ? Cfg::BN / 2 : Cfg::BN;
  const int tilesN = (p.n + features - 1) / features;
  const int blocks = std::min(tilesM * tilesN, multiprocessorCount());
  kernel<<<blocks, Cfg::kThreads, Cfg::kSmemBytes, stream>>>(mapA, mapB, mapUp, mapOut, p, tilesM, tilesN);
  checkLaunch(kGrouped ? "sm90GemmKernel(grouped)" : "sm90GemmKernel");
}

template <class Cfg, bool kGateUp, class OutT>
void launchDense(const GemmParams& p, cudaStream_t stream) {
  const int bRows = kGateUp ? Cfg::kWgmmaN / 2 : Cfg::BN;
  const CUtensorMap mapA = tileMap(p.x, p.m, p.k, p.k, Cfg::BM);
  const CUtensorMap mapB = tileMap(p.w, p.n, p.k, p.k, bRows);
  const CUtensorMap mapUp = kGateUp ? tileMap(p.wUp, p.n, p.k, p.k, bRows) : CUtensorMap{};
  // Each consumer warpgroup stores its own 64 rows.
  const CUtensorMap mapOut = Cfg::kStoreTma ? tileMap(p.out, p.m, p.n, p.outStride, 64) : CUtensorMap{};
  launch<Cfg, false, kGateUp, OutT>(p, mapA, mapB, mapUp, mapOut, (p.m + Cfg::BM - 1) / Cfg::BM, stream);
}

// The TMA-store twin of a tile, where the launch allows it: bf16 output, 16-byte aligned rows,
// whole 64-column boxes a tile.
template <class Cfg, class StoreCfg, bool kGateUp, class OutT>
void launchDenseTile(const GemmParams& p, bool storeTma, cudaStream_t stream) {
  constexpr bool kStoreFits =
      sizeof(OutT) == 2 && (kGateUp ? StoreCfg::BN / 2 : StoreCfg::BN) % StoreCfg::kStoreBoxColumns == 0;
  if constexpr (kStoreFits) {
    if (storeTma && kTmaStoreDefault && p.outStride % 8 == 0 && tmaAligned(p.out))
      return launchDense<StoreCfg, kGateUp, OutT>(p, stream);
  }
  launchDense<Cfg, kGateUp, OutT>(p, stream);
}

enum class TileChoice { kAuto, kWide, kMid, kNarrow };

// Predicted time of a dense launch on tile Cfg, in units of one 128 x 256 tile at full rate:
// whole waves of persistent blocks (a partly filled last wave costs a full one).
template <class Cfg, bool kGateUp>
double predictedTime(const GemmParams& p, int sms, double rate) {
  const int features = kGateUp ? Cfg::BN / 2 : Cfg::BN;
  const long long tiles =
      static_cast<long long>((p.m + Cfg::BM - 1) / Cfg::BM) * ((p.n + features - 1) / features);
  const long long waves = (tiles + sms - 1) / sms;
  return static_cast<double>(waves) * Cfg::BN / Sm90WideTile::BN / rate;
}

// Plain and gate-up, rows known on the host.
template <bool kGateUp, class OutT>
void runDense(const GemmParams& p, TileChoice choice, cudaStream_t stream) {
  // Forced tiles (benches) keep the register epilogue; the automatic choice stores through TMA.
  const bool storeTma = choice == TileChoice::kAuto;
  if (choice == TileChoice::kAuto) {
    const int sms = multiprocessorCount();
    const double wide = predictedTime<Sm90WideTile, kGateUp>(p, sms, kWideTileRate);
    const double mid = predictedTime<Sm90MidTile, kGateUp>(p, sms, kMidTileRate);
    const double narrow = predictedTime<Sm90NarrowTile, kGateUp>(p, sms, kNarrowTileRate);
    choice = wide <= mid && wide <= narrow ? TileChoice::kWide
             : mid <= narrow               ? TileChoice::kMid
                                           : TileChoice::kNarrow;
  }
  if (choice == TileChoice::kWide)
    return launchDenseTile<Sm90WideTile, Sm90WideStoreTile, kGateUp, OutT>(p, storeTma, stream);
  if (choice == TileChoice::kMid)
    return launchDenseTile<Sm90MidTile, Sm90MidStoreTile, kGateUp, OutT>(p, storeTma, stream);
  launchDenseTile<Sm90NarrowTile, Sm90NarrowStoreTile, kGateUp, OutT>(p, storeTma, stream);
}

template <class Cfg, bool kGateUp, class OutT>
void launchGrouped(const GemmParams& p, cudaStream_t stream) {
  const int tilesM = (p.m + Cfg::BM - 1) / Cfg::BM + p.groups;
  launch<Cfg, true, kGateUp, OutT>(p, CUtensorMap{}, CUtensorMap{}, CUtensorMap{}, CUtensorMap{}, tilesM,
                                   stream);
}

// Grouped (MoE experts): group offsets on the device, so the grid covers the upper bound.
// 128-row tiles unless kNarrow asks for the 64-row ones (config.h says why).
template <bool kGateUp, class OutT>
void runGrouped(const GemmParams& p, TileChoice choice, cudaStream_t stream) {
  require(p.groups <= kMaxGroups, "sm90 grouped GEMM: too many groups");
  if (choice == TileChoice::kNarrow) return launchGrouped<Sm90GroupedTile, kGateUp, OutT>(p, stream);
  launchGrouped<Sm90GroupedWideTile, kGateUp, OutT>(p, stream);
}

}  // namespace vl2::cuda::sm90
