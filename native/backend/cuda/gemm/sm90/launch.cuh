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

// [rows, k] row-major bf16 read in boxes of boxRows x 64 with the 128-byte swizzle; rows and
// columns outside the tensor arrive as zeros (the M, N and K tails).
inline CUtensorMap tileMap(const __nv_bfloat16* base, int rows, int k, int boxRows) {
  CUtensorMap map{};
  const cuuint64_t dims[2] = {static_cast<cuuint64_t>(k), static_cast<cuuint64_t>(rows)};
  const cuuint64_t strides[1] = {static_cast<cuuint64_t>(k) * 2};
  const cuuint32_t box[2] = {64, static_cast<cuuint32_t>(boxRows)};
  const cuuint32_t elementStrides[2] = {1, 1};
  const CUresult result =
      encodeTiled()(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, const_cast<__nv_bfloat16*>(base), dims,
                    strides, box, elementStrides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                    CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (result != CUDA_SUCCESS)
    fail(ErrorCode::kCuda, "CUDA: cuTensorMapEncodeTiled failed with code " + std::to_string(result));
  return map;
}

inline bool isHopper() {
  static std::atomic<int> cached[kMaxCachedDevices] = {};
  const int device = currentDevice();
  if (device < kMaxCachedDevices && cached[device].load(std::memory_order_relaxed) != 0)
    return cached[device].load(std::memory_order_relaxed) > 0;
  int major = 0;
  check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
        "cudaDeviceGetAttribute(compute capability)");
  if (device < kMaxCachedDevices) cached[device].store(major == 9 ? 1 : -1, std::memory_order_relaxed);
  return major == 9;
}

// TMA reads need 16-byte aligned bases (row strides are, since k % 8 == 0).
inline bool tmaAligned(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

inline bool denseFits(const GemmParams& p) {
  return tmaAligned(p.x) && tmaAligned(p.w) && (p.wUp == nullptr || tmaAligned(p.wUp));
}

template <class Cfg, bool kGrouped, bool kGateUp, class OutT>
void launch(const GemmParams& p, const CUtensorMap& mapA, const CUtensorMap& mapB, const CUtensorMap& mapUp,
            int tilesM, cudaStream_t stream) {
  constexpr auto kernel = sm90GemmKernel<Cfg, kGrouped, kGateUp, OutT>;
  ensureSharedMemory<kernel>(Cfg::kSmemBytes, "sm90GemmKernel shared memory");
  const int features = kGateUp ? Cfg::BN / 2 : Cfg::BN;
  const int tilesN = (p.n + features - 1) / features;
  const int blocks = std::min(tilesM * tilesN, multiprocessorCount());
  kernel<<<blocks, Cfg::kThreads, Cfg::kSmemBytes, stream>>>(mapA, mapB, mapUp, p, tilesM, tilesN);
  checkLaunch("sm90GemmKernel");
}

template <class Cfg, bool kGateUp, class OutT>
void launchDense(const GemmParams& p, cudaStream_t stream) {
  const int bRows = kGateUp ? Cfg::kWgmmaN / 2 : Cfg::BN;
  const CUtensorMap mapA = tileMap(p.x, p.m, p.k, Cfg::BM);
  const CUtensorMap mapB = tileMap(p.w, p.n, p.k, bRows);
  const CUtensorMap mapUp = kGateUp ? tileMap(p.wUp, p.n, p.k, bRows) : CUtensorMap{};
  launch<Cfg, false, kGateUp, OutT>(p, mapA, mapB, mapUp, (p.m + Cfg::BM - 1) / Cfg::BM, stream);
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
  if (choice == TileChoice::kAuto) {
    const int sms = multiprocessorCount();
    const double wide = predictedTime<Sm90WideTile, kGateUp>(p, sms, kWideTileRate);
    const double mid = predictedTime<Sm90MidTile, kGateUp>(p, sms, kMidTileRate);
    const double narrow = predictedTime<Sm90NarrowTile, kGateUp>(p, sms, kNarrowTileRate);
    choice = wide <= mid && wide <= narrow ? TileChoice::kWide
             : mid <= narrow               ? TileChoice::kMid
                                           : TileChoice::kNarrow;
  }
  if (choice == TileChoice::kWide) return launchDense<Sm90WideTile, kGateUp, OutT>(p, stream);
  if (choice == TileChoice::kMid) return launchDense<Sm90MidTile, kGateUp, OutT>(p, stream);
  launchDense<Sm90NarrowTile, kGateUp, OutT>(p, stream);
}

template <class Cfg, bool kGateUp, class OutT>
void launchGrouped(const GemmParams& p, cudaStream_t stream) {
  const int tilesM = (p.m + Cfg::BM - 1) / Cfg::BM + p.groups;
  launch<Cfg, true, kGateUp, OutT>(p, CUtensorMap{}, CUtensorMap{}, CUtensorMap{}, tilesM, stream);
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
