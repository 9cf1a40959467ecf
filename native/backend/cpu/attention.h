// Attention on the CPU: fp32 scores and softmax. Dense (SigLIP, non-causal) and
// causal over the paged KV cache, in plain multi-head and latent (MLA) forms.
#pragma once

#include <cstdint>

#include "backend/cpu/host_kv_cache.h"
#include "core/thread_pool.h"

namespace vl2::cpu {

// Non-causal attention within one sequence of `tokens` rows.
// q, k, v: row r, head h at base + r * rowStride + h * headDim; out: [tokens, heads, headDim].
void denseAttention(ThreadPool& pool, const float* q, const float* k, const float* v, std::int64_t rowStride,
                    std::int64_t tokens, int heads, int headDim, float scale, float* out);

// Plain multi-head attention of `count` new tokens at positions start.. over the
// cache (already holding their K and V). Cache slot: K [heads*headDim] then V.
// q: [count, heads, headDim]; out: [count, heads, headDim].
void cachedMultiHeadAttention(ThreadPool& pool, HostKvCache& cache, const SequenceBlocks& sequence, int layer,
                              const float* q, std::int64_t start, std::int64_t count, int heads, int headDim,
                              float scale, float* out);

// Absorbed MLA over the latent cache (slot: latent [rank] then rope key [ropeDim]).
// qLatent: [count, heads, rank] (q_nope W_UK); qRope: [count, heads, ropeDim];
// outLatent: [count, heads, rank] = softmax(scores) . latents.
void cachedLatentAttention(ThreadPool& pool, HostKvCache& cache, const SequenceBlocks& sequence, int layer,
                           const float* qLatent, const float* qRope, std::int64_t start, std::int64_t count,
                           int heads, int rank, int ropeDim, float scale, float* outLatent);

}  // namespace vl2::cpu
