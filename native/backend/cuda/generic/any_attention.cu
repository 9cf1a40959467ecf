// The shape-agnostic attention: one block per (query row, head), keys taken 128 at a time
// (a warp per key for the dot product, lanes over its dimensions), online softmax in fp32,
// each thread owning a few output dimensions. Serves every head size and both the paged
// cache and contiguous keys; the tuned kernels take the published sizes.
#include <cfloat>

#include "backend/cuda/check.h"
#include "backend/cuda/generic/generic.h"

namespace vl2::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kChunk = 128;
constexpr int kMaxValueDim = 1024;  // 8 output values a thread
constexpr int kMaxQueryDim = 2048;

__device__ inline long long keyRow(const AnyAttention& a, int sequence, int t) {
  if (a.blockTable == nullptr) return static_cast<long long>(sequence) * a.sequenceRows + t;
  const int block = a.blockTable[static_cast<long long>(sequence) * a.maxBlocksPerSequence + t / 64];
  return static_cast<long long>(block) * 64 + t % 64;
}

__global__ void __launch_bounds__(kThreads) anyAttentionKernel(AnyAttention a) {
  extern __shared__ float shared[];
  float* query = shared;                 // d1 + d2
  float* scores = shared + a.d1 + a.d2;  // kChunk
  __shared__ float reduce[kWarps];
  const int row = blockIdx.x, head = blockIdx.y;
  const int kvHead = head / (a.heads / a.kvHeads);
  const int sequence = a.rowSequence[row], keys = a.keyCount[row];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int d = threadIdx.x; d < a.d1; d += kThreads)
    query[d] = __bfloat162float(a.q1[row * a.q1RowStride + head * a.q1HeadStride + d]) * a.scale;
  for (int d = threadIdx.x; d < a.d2; d += kThreads)
    query[a.d1 + d] = __bfloat162float(a.q2[row * a.q2RowStride + head * a.q2HeadStride + d]) * a.scale;
  float acc[kMaxValueDim / kThreads] = {};
  float runningMax = -FLT_MAX, runningSum = 0.0f;
  __syncthreads();
  for (int t0 = 0; t0 < keys; t0 += kChunk) {
    const int count = min(kChunk, keys - t0);
    for (int i = warp; i < count; i += kWarps) {
      const __nv_bfloat16* key = a.k + keyRow(a, sequence, t0 + i) * a.kRowStride + kvHead * a.kHeadStride;
      float dot = 0.0f;
      for (int d = lane; d < a.d1; d += 32) dot += query[d] * __bfloat162float(key[d]);
      for (int d = lane; d < a.d2; d += 32) dot += query[a.d1 + d] * __bfloat162float(key[a.keyOffset2 + d]);
      for (int o = 16; o > 0; o /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, o);
      if (lane == 0) scores[i] = dot;
    }
    __syncthreads();
    float chunkMax = -FLT_MAX;
    for (int i = threadIdx.x; i < count; i += kThreads) chunkMax = fmaxf(chunkMax, scores[i]);
    for (int o = 16; o > 0; o /= 2) chunkMax = fmaxf(chunkMax, __shfl_xor_sync(0xffffffffu, chunkMax, o));
    if (lane == 0) reduce[warp] = chunkMax;
    __syncthreads();
    chunkMax = reduce[0];
    for (int w = 1; w < kWarps; ++w) chunkMax = fmaxf(chunkMax, reduce[w]);
    const float newMax = fmaxf(runningMax, chunkMax);
    const float rescale = __expf(runningMax - newMax);
    __syncthreads();  // everyone has read reduce[] before it is reused
    for (int i = threadIdx.x; i < count; i += kThreads) scores[i] = __expf(scores[i] - newMax);
    __syncthreads();
    float chunkSum = 0.0f;
    for (int i = 0; i < count; ++i) chunkSum += scores[i];
    runningSum = runningSum * rescale + chunkSum;
    runningMax = newMax;
#pragma unroll
    for (int j = 0; j < kMaxValueDim / kThreads; ++j) acc[j] *= rescale;
    for (int i = 0; i < count; ++i) {
      const __nv_bfloat16* value = a.v + keyRow(a, sequence, t0 + i) * a.vRowStride + kvHead * a.vHeadStride;
      const float p = scores[i];
#pragma unroll
      for (int j = 0; j < kMaxValueDim / kThreads; ++j) {
        const int d = threadIdx.x + j * kThreads;
        if (d < a.dv) acc[j] = fmaf(p, __bfloat162float(value[d]), acc[j]);
      }
    }
    __syncthreads();  // scores[] is rewritten by the next chunk
  }
  const float inverse = runningSum > 0.0f ? 1.0f / runningSum : 0.0f;
#pragma unroll
  for (int j = 0; j < kMaxValueDim / kThreads; ++j) {
    const int d = threadIdx.x + j * kThreads;
    if (d < a.dv)
      a.out[row * a.outRowStride + head * a.outHeadStride + d] = __float2bfloat16(acc[j] * inverse);
  }
}

}  // namespace

void anyAttention(const AnyAttention& a, cudaStream_t stream) {
  require(a.rows >= 0 && a.heads > 0 && a.kvHeads > 0 && a.heads % a.kvHeads == 0, "anyAttention heads");
  require(a.d1 > 0 && a.d2 >= 0 && a.d1 + a.d2 <= kMaxQueryDim, "anyAttention query dims");
  require(a.dv > 0 && a.dv <= kMaxValueDim, "anyAttention value dim");
  require(a.d2 == 0 || a.q2 != nullptr, "anyAttention second query part");
  require(a.rowSequence && a.keyCount && a.out && a.k && a.v && a.q1, "anyAttention pointers");
  if (a.rows == 0) return;
  const int smem = static_cast<int>((a.d1 + a.d2 + kChunk) * sizeof(float));
  anyAttentionKernel<<<dim3(a.rows, a.heads), kThreads, smem, stream>>>(a);
  checkLaunch("anyAttentionKernel");
}

}  // namespace vl2::cuda
