// Tile shapes of the Hopper (sm_90a) GEMMs, with the reason for each number.
#pragma once

namespace vl2::cuda::sm90 {

// One block per SM (persistent): warpgroup 0 loads, warpgroups 1 and 2 each own 64 rows
// (BM = 128) or half the columns (BM = 64) of the BM x BN output tile and run wgmma on it.
// BK = 64 bf16 = 128-byte rows, the widest row the 128-byte swizzle (bank-conflict-free
// wgmma reads) allows. kStages deep ring: as many stages as fit in 227 KB with a margin.
template <int BM_, int BN_, int kStages_>
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
  // Tiles need 1024-byte alignment (swizzle atom); the barriers follow the ring.
  static constexpr int kSmemBytes = 1024 + kStages * kStageBytes + 2 * kStages * 8;
  static_assert(BM == 64 || BM == 128, "one or two consumer warpgroups along M");
  static_assert(kWgmmaN == 128 || kWgmmaN == 256, "wgmma wrappers exist for N = 128 and 256");
  static_assert(kStageBytesA % 1024 == 0 && kStageBytesB % 1024 == 0, "stages stay 1024-byte aligned");
};

// Dense prefill: 128 x 256 gives each wgmma the widest N (fewest smem bytes per FLOP);
// 4 stages = 192 KB. 128 x 128 (6 stages) for shapes whose 128 x 256 tile count leaves
// much of the last wave idle (SigLIP's 5103 rows: 560 tiles = 4.2 waves on 132 SMs).
using Sm90WideTile = Sm90Tile<128, 256, 4>;
using Sm90NarrowTile = Sm90Tile<128, 128, 6>;
// MoE experts get ~100 (1024 tokens) to ~400 (4096 tokens) rows each: 64-row tiles waste
// less of each expert's last tile; both consumers split the 256 columns.
using Sm90GroupedTile = Sm90Tile<64, 256, 5>;

// Register split (setmaxnreg): the loading warpgroup needs few, the consumers hold up to 128
// fp32 accumulators each; 2 x 128 x 224 + 128 x 56 = 64 512 <= 65 536.
constexpr int kProducerRegisters = 56;
constexpr int kConsumerRegisters = 224;

// Grouped loads go through cp.async (TMA cannot gather rows): a stage is handed to the
// consumers once the copies kCopyLag stages younger have been issued, so that many are in flight.
constexpr int kCopyLag = 2;

// Tile order of dense launches: groups of kRasterRows row tiles walk the columns together,
// so the blocks running at once share A rows and B columns in the L2.
constexpr int kRasterRows = 8;

// The 128 x 128 tile's rate relative to 128 x 256 when both fill their waves (a guess until
// measured), for choosing between them by wave quantisation.
constexpr double kNarrowTileRate = 0.85;

// Prefill with fewer rows than this stays on the mma.sync kernels (their 64-row tiles).
constexpr int kMinRows = 128;

// Whether GemmPath::kAuto takes these kernels: only after the fp64 checks passed on a GPU.
constexpr bool kDefault = false;

}  // namespace vl2::cuda::sm90
