// Sizes of the attention kernels, with the reasons for each number.
#pragma once

namespace vl2::cuda::attention {

// Paged caches: 64 tokens a block (the engine's KV-cache block).
constexpr int kPageTokens = 64;

// MLA latent cache: per token 512 latent + 64 rope values (SPEC 6).
constexpr int kMlaLatentDim = 512;
constexpr int kMlaRopeDim = 64;
constexpr int kMlaCacheDim = kMlaLatentDim + kMlaRopeDim;
// Smem row of 576 values padded by 8 (16 bytes): 73 chunks a row, an odd count, so
// ldmatrix's 8 row addresses fall in 8 different bank groups.
constexpr int kMlaSmemRow = kMlaCacheDim + 8;
// 4 warps: each scores 16 of a page's 64 tokens, then owns 128 of the 512 output columns.
constexpr int kMlaDecodeThreads = 128;
constexpr int kMlaMaxHeadTiles = 2;  // heads padded to 16 or 32 (Small 16, Base 32)

// Tiny's multi-head decode: head dim 128; 8 lanes a token (16 dims each, two 16-byte
// loads), 4 tokens a warp in flight, 4 warps.
constexpr int kMhaHeadDim = 128;
constexpr int kMhaDecodeThreads = 128;
constexpr int kMhaLanesPerToken = 8;

// Split over the sequence when batch x heads blocks would not fill the GPU: aim for this
// many blocks a multiprocessor, each split at least one page.
constexpr int kDecodeBlocksPerSm = 2;
constexpr int kMaxSplits = 64;
constexpr int kCombineThreads = 128;

// Flash-attention prefill: warps x 16 query rows a block, 64-key tiles double-buffered by
// cp.async; smem rows padded by 8 values so ldmatrix is conflict-free whenever (dim + 8) / 8
// is odd (80 + 8, 128 + 8, 192 + 8 all are). 8 warps share each K/V tile among 128 queries
// (measured +7% at head dim 128, +25% at 192/128); SigLIP's 729 queries waste less of a
// 64-query block with 4 (measured 20% faster than 8).
constexpr int kFlashWarps = 8;
constexpr int kFlashWarpsSmallHead = 4;
constexpr int kFlashKeys = 64;

}  // namespace vl2::cuda::attention
