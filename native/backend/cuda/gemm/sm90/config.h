// Tile shapes of the Hopper (sm_90a) GEMMs, with the reason for each number.
#pragma once

namespace vl2::cuda::sm90 {

// One block per SM (persistent): warpgroup 0 loads, warpgroups 1 and 2 each own 64 rows
// (BM = 128) or half the columns (BM = 64) of the BM x BN output tile and run wgmma on it.
// BK = 64 bf16 = 128-byte rows, the widest row the 128-byte swizzle (bank-conflict-free
// wgmma reads) allows. kStages deep ring: as many stages as fit in 227 KB with a margin.
// kStoreTma_: bf16 results leave through smem and TMA stores, so the consumers start the next
// tile while the copy engine writes this one (the ring gives up a stage for the staging tile).
template <int BM_, int BN_, int kStages_, bool kStoreTma_ = false>
struct Sm90Tile {
  static constexpr int BM = BM_;
  static constexpr int BN = BN_;
  static constexpr int BK = 64;
  static constexpr int kStages = kStages_;
  static constexpr int kConsumers = 2;
  static constexpr int kThreads = (kConsumers + 1) * 128;
  // Each consumer warpgroup's wgmma: 64 rows x kWgmmaN columns.
  static constexpr int kConsumersAlongM = BM / 64;
  static constexpr int kWgmmaN = BN * kConsumersAlongM / kConsumers;
  static constexpr int kAccumulators = kWgmmaN / 2;  // fp32 per thread: 64 x N / 128
  static constexpr int kStageBytesA = BM * BK * 2;
  static constexpr int kStageBytesB = BN * BK * 2;
  static constexpr int kStageBytes = kStageBytesA + kStageBytesB;
  static constexpr bool kStoreTma = kStoreTma_;
  // Staging tile of the TMA stores: boxes of BM rows x kStoreBoxColumns, 128-byte swizzle.
  static constexpr int kStoreBoxColumns = 64;
  static constexpr int kStoreBytes = kStoreTma ? BM * BN * 2 : 0;
  // Tiles need 1024-byte alignment (swizzle atom); staging and barriers follow the ring.
  static constexpr int kSmemBytes = 1024 + kStages * kStageBytes + kStoreBytes + 2 * kStages * 8;
  static_assert(BM == 64 || BM == 128, "one or two consumer warpgroups along M");
  static_assert(kWgmmaN == 128 || kWgmmaN == 192 || kWgmmaN == 256, "wgmma wrappers: N = 128, 192, 256");
  static_assert(kStageBytesA % 1024 == 0 && kStageBytesB % 1024 == 0, "stages stay 1024-byte aligned");
};

// Dense prefill: 128 x 256 gives each wgmma the widest N (fewest smem bytes per FLOP);
// 4 stages = 192 KB. The narrower tiles exist for shapes whose 128 x 256 tile count leaves
// much of the last wave idle (q_proj at 2048 rows: 192 tiles = 1.45 waves on 132 SMs, against
// 256 tiles = 1.94 waves at 128 x 192) and for few rows (one wave either way: the smallest
// tile finishes first). launch.cuh chooses by the predicted waves x tile time.
using Sm90WideTile = Sm90Tile<128, 256, 4>;
using Sm90MidTile = Sm90Tile<128, 192, 5>;
using Sm90NarrowTile = Sm90Tile<128, 128, 6>;
// The same tiles with TMA stores of bf16 results (one stage less: 208, 208, 192 KB).
using Sm90WideStoreTile = Sm90Tile<128, 256, 3, true>;
using Sm90MidStoreTile = Sm90Tile<128, 192, 4, true>;
using Sm90NarrowStoreTile = Sm90Tile<128, 128, 5, true>;
// Whether kAuto / kSm90 take the TMA-store tiles where they apply (bf16 output, rows 16-byte
// aligned, a multiple of 64 output columns a tile).
constexpr bool kTmaStoreDefault = true;
// Each tile's rate relative to 128 x 256 when both fill their waves (H200, register epilogue):
// 128 x 128 0.80-0.85 at 8192^3, 0.91 at 4096 x 3072 x 2048; 128 x 192 0.91-0.96 at 8192^3.
constexpr double kWideTileRate = 1.0;
constexpr double kMidTileRate = 0.93;
constexpr double kNarrowTileRate = 0.85;
// MoE experts: 128 x 256 tiles. At ~100 rows an expert (1024 tokens) a 64-row tile would
// waste less of each expert's last tile, but it re-reads every B tile twice as often and
// measured slower on every MoE shape (H200, 1024 tokens, Small gate-up 288 vs 240 us, Base
// 446 vs 337 us); it stays for GemmPath::kSm90Narrow comparisons.
using Sm90GroupedTile = Sm90Tile<64, 256, 5>;
using Sm90GroupedWideTile = Sm90Tile<128, 256, 4>;

// Register split (setmaxnreg): the loading warpgroup needs few, the consumers hold up to 128
// fp32 accumulators each; 2 x 128 x 224 + 128 x 56 = 64 512 <= 65 536.
constexpr int kProducerRegisters = 56;
constexpr int kConsumerRegisters = 224;

// Tile order of dense launches: groups of kRasterRows row tiles walk the columns together,
// so the blocks running at once share A rows and B columns in the L2.
constexpr int kRasterRows = 8;

// Prefill with fewer rows than this stays on the mma.sync kernels (their 64-row tiles); at 256
// rows the sm90 tiles took 0.49-0.83x the mma.sync time (bench/NOTES.md 2026-11-30); fewer rows
// were not measured.
constexpr int kMinRows = 256;

// Whether GemmPath::kAuto takes these kernels: only after their fp64 checks passed on a GPU
// (bench/cuda kernels on the H200, 2026-11-30: 180 dense and 51 MoE checks; dense under memcheck)
// and measured faster than the mma.sync kernels (bench/NOTES.md, "2026-11-30 sm90 GEMMs").
constexpr bool kDenseDefault = true;
constexpr bool kGroupedDefault = true;

}  // namespace vl2::cuda::sm90
