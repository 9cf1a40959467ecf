// Tile shapes of the GEMM kernels, with the reasons for each number.
#pragma once

namespace vl2::cuda::gemmk {

// Tensor-core tiled GEMM (prefill and medium M): a block computes BM x BN outputs,
// warps WM x WN each own a (BM/WM) x (BN/WN) sub-tile; K advances BK at a time through a
// cp.async ring of kStages buffers. BK = 64 bf16 = 128-byte smem rows, so the XOR swizzle
// over 8 16-byte chunks makes every ldmatrix phase conflict-free.
template <int BM_, int BN_, int WM_, int WN_, int kStages_>
struct TileConfig {
  static constexpr int BM = BM_;
  static constexpr int BN = BN_;
  static constexpr int BK = 64;
  static constexpr int WM = WM_;
  static constexpr int WN = WN_;
  static constexpr int kStages = kStages_;
  static constexpr int kThreads = WM * WN * 32;
  static constexpr int kWarpM = BM / WM;
  static constexpr int kWarpN = BN / WN;
  static constexpr int kMmaTilesM = kWarpM / 16;
  static constexpr int kMmaTilesN = kWarpN / 8;
  static constexpr int kSmemBytes = kStages * (BM + BN) * BK * 2;
  static_assert(kWarpM % 16 == 0 && kWarpN % 16 == 0, "B fragments load two n8 tiles at once");
  static_assert(BM * BK / 8 % kThreads == 0 && BN * BK / 8 % kThreads == 0,
                "every thread copies the same number of 16-byte chunks");
};

// Prefill: 256x128 with 8 warps of 64x64 (128 fp32 accumulators a thread, one block a
// SM, 3 stages = 144 KB smem), taken once its grid fills the SMs (a two-wave threshold was
// measured worse: 4096x2048x10944 went 510 -> 730 us on 64x64 tiles). The sweep (bench/NOTES.md, 2026-11-22)
// measured it 23% faster than 128x128 with 8 warps of 64x32 on 8192^3 (357 vs 289 TFLOP/s) and
// 4096x2048x10944: the larger warp tile halves the ldmatrix traffic per mma.
using LargeTile = TileConfig<256, 128, 4, 2, 3>;
// Fewer rows (tens to a few hundred): 64x64 with 4 warps of 32x32 gives the most blocks;
// measured the fastest of the sweep from M = 64 to 256 (64x2048x2048: 16 us against 31 us
// for 128x128) and close on SigLIP's 5103x4304x1152.
using MediumTile = TileConfig<64, 64, 2, 2, 4>;
// MoE experts' row groups (a few hundred rows each in prefill): 64x128 with 8 warps; with
// 64x64 the 4096-token Small down projection took 995 us against 670 us for this shape.
using GroupedTile = TileConfig<64, 128, 2, 4, 4>;

// Skinny GEMM (decode, M <= 16): W is the mma A operand (16 output features a block),
// tokens the n8 operand, so each weight byte is loaded once, 16 bytes a lane, and feeds
// the tensor cores straight from registers. The block's 8 warps split K between them and
// reduce through smem; 4 chunks of 32 K a warp are in flight, 32 KB a block.
constexpr int kSkinnyWarps = 8;
constexpr int kSkinnyRows = 16;
constexpr int kSkinnyChunkK = 32;
constexpr int kSkinnyUnroll = 4;
constexpr int kSkinnyMaxTokens = 16;  // two n8 tiles; above this the tiled kernel reuses W better

}  // namespace vl2::cuda::gemmk
