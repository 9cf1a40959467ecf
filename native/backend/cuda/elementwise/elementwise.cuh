// Kernels of elementwise.h. Row kernels keep the row in registers (16-byte loads) so a
// norm reads its input once.
#pragma once

#include <cuda_bf16.h>

#include <cfloat>
#include <cstdint>

#include "backend/cuda/elementwise/config.h"

namespace vl2::cuda::elementwise {

constexpr int kNormChunks = kNormMaxValuesPerThread / 8;

__device__ __forceinline__ void unpack8(const uint4& v, float (&out)[8]) {
  const __nv_bfloat162* pairs = reinterpret_cast<const __nv_bfloat162*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    out[2 * i] = __low2float(pairs[i]);
    out[2 * i + 1] = __high2float(pairs[i]);
  }
}

__device__ __forceinline__ uint4 pack8(const float (&v)[8]) {
  uint4 out;
  __nv_bfloat162* pairs = reinterpret_cast<__nv_bfloat162*>(&out);
#pragma unroll
  for (int i = 0; i < 4; ++i) pairs[i] = __floats2bfloat162_rn(v[2 * i], v[2 * i + 1]);
  return out;
}

__device__ __forceinline__ float blockSum(float v, float* scratch) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  __syncthreads();  // scratch may still be read from the previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float total = 0.0f;
  for (int i = 0; i < static_cast<int>(blockDim.x >> 5); ++i) total += scratch[i];
  return total;
}

// grid: rows; block: kNormThreads. kLayerNorm: subtract the mean and add the bias.
template <bool kLayerNorm>
__global__ void __launch_bounds__(kNormThreads)
    normKernel(const __nv_bfloat16* x, int xStride, const __nv_bfloat16* weight, const __nv_bfloat16* bias,
               __nv_bfloat16* out, int outStride, int dim, float eps) {
  __shared__ float scratch[kNormThreads / 32];
  const __nv_bfloat16* row = x + static_cast<size_t>(blockIdx.x) * xStride;
  float values[kNormChunks][8];
  float sum = 0.0f;
#pragma unroll
  for (int c = 0; c < kNormChunks; ++c) {
    const int col = (threadIdx.x + c * kNormThreads) * 8;
    if (col < dim) {
      unpack8(*reinterpret_cast<const uint4*>(row + col), values[c]);
#pragma unroll
      for (int i = 0; i < 8; ++i) sum += kLayerNorm ? values[c][i] : values[c][i] * values[c][i];
    }
  }
  float mean = 0.0f, inverse;
  if constexpr (kLayerNorm) {
    mean = blockSum(sum, scratch) / dim;
    float squares = 0.0f;
#pragma unroll
    for (int c = 0; c < kNormChunks; ++c) {
      if ((threadIdx.x + c * kNormThreads) * 8 < dim) {
#pragma unroll
        for (int i = 0; i < 8; ++i) squares += (values[c][i] - mean) * (values[c][i] - mean);
      }
    }
    inverse = rsqrtf(blockSum(squares, scratch) / dim + eps);
  } else {
    inverse = rsqrtf(blockSum(sum, scratch) / dim + eps);
  }
  __nv_bfloat16* outRow = out + static_cast<size_t>(blockIdx.x) * outStride;
#pragma unroll
  for (int c = 0; c < kNormChunks; ++c) {
    const int col = (threadIdx.x + c * kNormThreads) * 8;
    if (col >= dim) continue;
    float w[8], result[8];
    unpack8(*reinterpret_cast<const uint4*>(weight + col), w);
    float bb[8] = {};
    if constexpr (kLayerNorm) unpack8(*reinterpret_cast<const uint4*>(bias + col), bb);
#pragma unroll
    for (int i = 0; i < 8; ++i) result[i] = (values[c][i] - mean) * inverse * w[i] + bb[i];
    *reinterpret_cast<uint4*>(outRow + col) = pack8(result);
  }
}

__device__ __forceinline__ float warpSum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// One warp a row for the model's widths (up to 32 * 8 * kChunks values): every lane keeps
// kChunks 16-byte pieces in registers, so the loads are all in flight at once and the
// reductions are shuffles, with no block barrier. grid: ceil(rows / warps); block: kNormThreads.
template <bool kLayerNorm, int kChunks>
__global__ void __launch_bounds__(kNormThreads)
    warpNormKernel(const __nv_bfloat16* x, int xStride, const __nv_bfloat16* weight,
                   const __nv_bfloat16* bias, __nv_bfloat16* out, int outStride, int rows, int dim,
                   float eps) {
  const int lane = threadIdx.x & 31;
  const int row = blockIdx.x * (kNormThreads / 32) + (threadIdx.x >> 5);
  if (row >= rows) return;
  const __nv_bfloat16* in = x + static_cast<size_t>(row) * xStride;
  float values[kChunks][8];
  float sum = 0.0f;
#pragma unroll
  for (int c = 0; c < kChunks; ++c) {
    const int col = (c * 32 + lane) * 8;
    if (col < dim) {
      unpack8(*reinterpret_cast<const uint4*>(in + col), values[c]);
#pragma unroll
      for (int i = 0; i < 8; ++i) sum += kLayerNorm ? values[c][i] : values[c][i] * values[c][i];
    }
  }
  float mean = 0.0f, inverse;
  if constexpr (kLayerNorm) {
    mean = warpSum(sum) / dim;
    float squares = 0.0f;
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
      if ((c * 32 + lane) * 8 < dim) {
#pragma unroll
        for (int i = 0; i < 8; ++i) squares += (values[c][i] - mean) * (values[c][i] - mean);
      }
    }
    inverse = rsqrtf(warpSum(squares) / dim + eps);
  } else {
    inverse = rsqrtf(warpSum(sum) / dim + eps);
  }
  __nv_bfloat16* outRow = out + static_cast<size_t>(row) * outStride;
#pragma unroll
  for (int c = 0; c < kChunks; ++c) {
    const int col = (c * 32 + lane) * 8;
    if (col >= dim) continue;
    float w[8], bb[8] = {}, result[8];
    unpack8(*reinterpret_cast<const uint4*>(weight + col), w);
    if constexpr (kLayerNorm) unpack8(*reinterpret_cast<const uint4*>(bias + col), bb);
#pragma unroll
    for (int i = 0; i < 8; ++i) result[i] = (values[c][i] - mean) * inverse * w[i] + bb[i];
    *reinterpret_cast<uint4*>(outRow + col) = pack8(result);
  }
}

// grid: tokens; block: up to kRopeThreads over (head, pair), so a block covers a token's
// heads (tiny blocks of one head's 32 pairs left most of each SM idle).
template <bool kInterleaved>
__global__ void __launch_bounds__(kRopeThreads)
    ropeKernel(__nv_bfloat16* x, long long tokenStride, long long headStride, int heads, int offset,
               int rotaryDim, const int32_t* positions, float log2Theta) {
  const int half = rotaryDim / 2;
  const float position = static_cast<float>(positions[blockIdx.x]);
  for (int i = threadIdx.x; i < heads * half; i += blockDim.x) {
    const int h = i / half, pair = i % half;
    __nv_bfloat16* head = x + blockIdx.x * tokenStride + h * headStride + offset;
    const float inverseFrequency = exp2f(-2.0f * pair / rotaryDim * log2Theta);
    float sine, cosine;
    sincosf(position * inverseFrequency, &sine, &cosine);
    const int i0 = kInterleaved ? 2 * pair : pair;
    const int i1 = kInterleaved ? 2 * pair + 1 : pair + half;
    const float a = __bfloat162float(head[i0]), b = __bfloat162float(head[i1]);
    head[i0] = __float2bfloat16_rn(a * cosine - b * sine);
    head[i1] = __float2bfloat16_rn(b * cosine + a * sine);
  }
}

enum class FlatOp { kGeluTanh, kGeluErf, kSiluMul, kAdd };

template <FlatOp kOp>
__device__ __forceinline__ float apply(float a, float b) {
  if constexpr (kOp == FlatOp::kGeluTanh) {
    return 0.5f * a * (1.0f + tanhf(0.7978845608028654f * (a + 0.044715f * a * a * a)));
  } else if constexpr (kOp == FlatOp::kGeluErf) {
    return 0.5f * a * (1.0f + erff(a * 0.7071067811865476f));
  } else if constexpr (kOp == FlatOp::kSiluMul) {
    return a / (1.0f + __expf(-a)) * b;
  } else {
    return a + b;
  }
}

// out[i] = op(a[i], b[i]) over 16-byte vectors; b unused by the GELUs.
template <FlatOp kOp>
__global__ void __launch_bounds__(kFlatThreads)
    flatKernel(const __nv_bfloat16* a, const __nv_bfloat16* b, __nv_bfloat16* out, long long vectors) {
  for (long long v = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; v < vectors;
       v += static_cast<long long>(gridDim.x) * blockDim.x) {
    float av[8], bv[8] = {}, result[8];
    unpack8(reinterpret_cast<const uint4*>(a)[v], av);
    if constexpr (kOp == FlatOp::kSiluMul || kOp == FlatOp::kAdd)
      unpack8(reinterpret_cast<const uint4*>(b)[v], bv);
#pragma unroll
    for (int i = 0; i < 8; ++i) result[i] = apply<kOp>(av[i], bv[i]);
    reinterpret_cast<uint4*>(out)[v] = pack8(result);
  }
}

// grid: tokens; copies one table row per block in 16-byte pieces.
__global__ void embedKernel(const __nv_bfloat16* table, const int32_t* ids, __nv_bfloat16* out, int dim) {
  const uint4* src = reinterpret_cast<const uint4*>(table + static_cast<size_t>(ids[blockIdx.x]) * dim);
  uint4* dst = reinterpret_cast<uint4*>(out + static_cast<size_t>(blockIdx.x) * dim);
  for (int i = threadIdx.x; i < dim / 8; i += blockDim.x) dst[i] = src[i];
}

// grid: rows; block: kArgmaxThreads.
__global__ void __launch_bounds__(kArgmaxThreads) argmaxKernel(const float* logits, int vocab, int32_t* ids) {
  __shared__ float bestValue[kArgmaxThreads / 32];
  __shared__ int bestIndex[kArgmaxThreads / 32];
  const float* row = logits + static_cast<size_t>(blockIdx.x) * vocab;
  float value = -FLT_MAX;
  int index = 0x7fffffff;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    if (row[i] > value) {
      value = row[i];
      index = i;
    }
  }
  for (int o = 16; o > 0; o >>= 1) {
    const float v = __shfl_xor_sync(0xffffffffu, value, o);
    const int i = __shfl_xor_sync(0xffffffffu, index, o);
    if (v > value || (v == value && i < index)) {
      value = v;
      index = i;
    }
  }
  if ((threadIdx.x & 31) == 0) {
    bestValue[threadIdx.x >> 5] = value;
    bestIndex[threadIdx.x >> 5] = index;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kArgmaxThreads / 32; ++w) {
      if (bestValue[w] > value || (bestValue[w] == value && bestIndex[w] < index)) {
        value = bestValue[w];
        index = bestIndex[w];
      }
    }
    ids[blockIdx.x] = index;
  }
}

}  // namespace vl2::cuda::elementwise
