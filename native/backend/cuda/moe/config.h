// Limits and block shapes of the MoE routing, permutation and combine kernels.
#pragma once

namespace vl2::cuda::moe {

// Routing keeps a token's expert scores in registers, 8 a lane of one warp: DeepSeek-VL2
// has 64 or 72 experts, and this leaves room for checkpoints with up to 256.
constexpr int kMaxExperts = 256;
constexpr int kMaxTopK = 16;
constexpr int kMaxGroups = 32;  // one lane scores one expert group
constexpr int kRouteWarpsPerBlock = 4;
// The permutation counts experts in one block's smem: the lists are small (tokens x top-k).
constexpr int kPermuteThreads = 1024;
constexpr int kCombineThreads = 256;

}  // namespace vl2::cuda::moe
