// Launchers of the attention kernels. Raw device pointers, bf16 tensors, fp32 softmax.
// Paged caches use 64-token blocks: blockTable[b, i] is the cache block holding tokens
// [64 i, 64 i + 64) of sequence b. Every launch is checked (vl2::Error kCuda /
// kInvalidArgument). Decode kernels split long sequences over several blocks when the batch
// is small and merge the parts with a log-sum-exp combine; they need a workspace of
// decodeWorkspaceBytes(...) bytes.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace vl2::cuda {

struct PagedCache {
  const int32_t* blockTable = nullptr;  // [batch, maxBlocksPerSequence]
  int maxBlocksPerSequence = 0;
  const int32_t* seqLens = nullptr;  // [batch] tokens in the cache, device
  int maxSeqLen = 0;                 // host-side bound of seqLens, sizes the split
};

// Workspace for a decode launch of `batch` sequences of `heads` heads, value dim `valueDim`.
size_t decodeWorkspaceBytes(int batch, int heads, int valueDim);

// MLA decode over the latent cache kvCache: [blocks, 64, 576] bf16 (512 latent, 64 rope).
// qLatent: [batch, heads, 512] (q_nope with W_UK folded in), qRope: [batch, heads, 64]
// (rotated). out: [batch, heads, 512] bf16 = softmax((qL.c + qR.kpe) * scale) . c.
// heads <= 32.
void mlaDecode(const __nv_bfloat16* qLatent, const __nv_bfloat16* qRope, const __nv_bfloat16* kvCache,
               const PagedCache& cache, int batch, int heads, float scale, __nv_bfloat16* out,
               void* workspace, size_t workspaceBytes, cudaStream_t stream);

// Multi-head decode (Tiny): q [batch, heads, 128]; kCache, vCache [blocks, 64, kvHeads, 128];
// out [batch, heads, 128].
void mhaDecode(const __nv_bfloat16* q, const __nv_bfloat16* kCache, const __nv_bfloat16* vCache,
               const PagedCache& cache, int batch, int heads, int kvHeads, float scale, __nv_bfloat16* out,
               void* workspace, size_t workspaceBytes, cudaStream_t stream);

// Flash-attention prefill over contiguous Q, K, V given by strides (in elements), so packed
// projections ([tokens, 3 * width] qkv) and per-head layouts both work without copies.
// Query i attends keys j <= i + (kvLen - qLen) when causal (chunked prefill: the chunk's
// queries are the last qLen of kvLen), all keys otherwise. Batch b of the z grid offsets
// every pointer by b * batchStride. Supported (qkDim, vDim): (72, 72) SigLIP, (128, 128) Tiny,
// (192, 128) MLA with expanded keys.
struct FlashTensor {
  const __nv_bfloat16* data = nullptr;
  long long tokenStride = 0;
  long long headStride = 0;
  long long batchStride = 0;
};
struct FlashOutput {
  __nv_bfloat16* data = nullptr;
  long long tokenStride = 0;
  long long headStride = 0;
  long long batchStride = 0;
};
void flashPrefill(const FlashTensor& q, const FlashTensor& k, const FlashTensor& v, const FlashOutput& out,
                  int batch, int heads, int kvHeads, int qLen, int kvLen, int qkDim, int vDim, float scale,
                  bool causal, cudaStream_t stream);

}  // namespace vl2::cuda
