// Launchers of elementwise.h.
#include <algorithm>
#include <cmath>

#include "backend/cuda/check.h"
#include "backend/cuda/elementwise/elementwise.cuh"
#include "backend/cuda/elementwise/elementwise.h"

namespace vl2::cuda {

namespace {

using elementwise::FlatOp;

template <FlatOp kOp>
void launchFlat(const __nv_bfloat16* a, const __nv_bfloat16* b, __nv_bfloat16* out, long long count,
                cudaStream_t stream) {
  require(count >= 0 && count % elementwise::kFlatVector == 0, "elementwise count must be a multiple of 8");
  const long long vectors = count / elementwise::kFlatVector;
  if (vectors == 0) return;
  // A grid-stride loop over at most 32 blocks a multiprocessor.
  const long long wanted = (vectors + elementwise::kFlatThreads - 1) / elementwise::kFlatThreads;
  const int blocks = static_cast<int>(std::min<long long>(wanted, 32LL * multiprocessorCount()));
  elementwise::flatKernel<kOp><<<blocks, elementwise::kFlatThreads, 0, stream>>>(a, b, out, vectors);
  checkLaunch("flatKernel");
}

void requireNormShape(int rows, int dim) {
  require(rows >= 0 && dim > 0 && dim % 8 == 0, "norm dim must be a positive multiple of 8");
  require(dim <= elementwise::kNormThreads * elementwise::kNormMaxValuesPerThread, "norm dim too large");
}

// Warp-per-row for widths up to 32 * 8 * 12 = 3072 (every model width: 512..2560), the
// block-per-row kernel above that.
template <bool kLayerNorm>
void launchNorm(const __nv_bfloat16* x, int xStride, const __nv_bfloat16* weight, const __nv_bfloat16* bias,
                __nv_bfloat16* out, int outStride, int rows, int dim, float eps, cudaStream_t stream) {
  const int chunks = (dim / 8 + 31) / 32;
  const int warpBlocks = (rows + elementwise::kNormThreads / 32 - 1) / (elementwise::kNormThreads / 32);
  auto launchWarp = [&](auto kernel) {
    kernel<<<warpBlocks, elementwise::kNormThreads, 0, stream>>>(x, xStride, weight, bias, out, outStride,
                                                                 rows, dim, eps);
  };
  if (chunks <= 2) {
    launchWarp(elementwise::warpNormKernel<kLayerNorm, 2>);
  } else if (chunks <= 4) {
    launchWarp(elementwise::warpNormKernel<kLayerNorm, 4>);
  } else if (chunks <= 8) {
    launchWarp(elementwise::warpNormKernel<kLayerNorm, 8>);
  } else if (chunks <= 12) {
    launchWarp(elementwise::warpNormKernel<kLayerNorm, 12>);
  } else {
    elementwise::normKernel<kLayerNorm>
        <<<rows, elementwise::kNormThreads, 0, stream>>>(x, xStride, weight, bias, out, outStride, dim, eps);
  }
  checkLaunch(kLayerNorm ? "layerNormKernel" : "rmsNormKernel");
}

}  // namespace

void rmsNorm(const __nv_bfloat16* x, int xStride, const __nv_bfloat16* weight, __nv_bfloat16* out,
             int outStride, int rows, int dim, float eps, cudaStream_t stream) {
  requireNormShape(rows, dim);
  require(xStride % 8 == 0 && outStride % 8 == 0, "norm strides must be multiples of 8");
  if (rows == 0) return;
  launchNorm<false>(x, xStride, weight, nullptr, out, outStride, rows, dim, eps, stream);
}

void layerNorm(const __nv_bfloat16* x, const __nv_bfloat16* weight, const __nv_bfloat16* bias,
               __nv_bfloat16* out, int rows, int dim, float eps, cudaStream_t stream) {
  requireNormShape(rows, dim);
  if (rows == 0) return;
  launchNorm<true>(x, dim, weight, bias, out, dim, rows, dim, eps, stream);
}

void rope(__nv_bfloat16* x, int tokens, int heads, long long tokenStride, long long headStride, int offset,
          int rotaryDim, const int32_t* positions, float theta, RopeLayout layout, cudaStream_t stream) {
  require(rotaryDim > 0 && rotaryDim % 2 == 0 && rotaryDim <= 2048, "rope dim must be even");
  require(tokens >= 0 && heads > 0, "rope sizes");
  if (tokens == 0) return;
  const int threads = std::min(heads * (rotaryDim / 2), elementwise::kRopeThreads);
  const float log2Theta = std::log2(theta);
  if (layout == RopeLayout::kInterleaved) {
    elementwise::ropeKernel<true><<<tokens, threads, 0, stream>>>(x, tokenStride, headStride, heads, offset,
                                                                  rotaryDim, positions, log2Theta);
  } else {
    elementwise::ropeKernel<false><<<tokens, threads, 0, stream>>>(x, tokenStride, headStride, heads, offset,
                                                                   rotaryDim, positions, log2Theta);
  }
  checkLaunch("ropeKernel");
}

void gelu(__nv_bfloat16* x, long long count, GeluKind kind, cudaStream_t stream) {
  if (kind == GeluKind::kTanh) return launchFlat<FlatOp::kGeluTanh>(x, nullptr, x, count, stream);
  launchFlat<FlatOp::kGeluErf>(x, nullptr, x, count, stream);
}

void siluMul(const __nv_bfloat16* gate, const __nv_bfloat16* up, __nv_bfloat16* out, long long count,
             cudaStream_t stream) {
  launchFlat<FlatOp::kSiluMul>(gate, up, out, count, stream);
}

void add(const __nv_bfloat16* a, const __nv_bfloat16* b, __nv_bfloat16* out, long long count,
         cudaStream_t stream) {
  launchFlat<FlatOp::kAdd>(a, b, out, count, stream);
}

void embed(const __nv_bfloat16* table, const int32_t* ids, __nv_bfloat16* out, int tokens, int dim,
           cudaStream_t stream) {
  require(tokens >= 0 && dim > 0 && dim % 8 == 0, "embedding dim must be a multiple of 8");
  if (tokens == 0) return;
  elementwise::embedKernel<<<tokens, 256, 0, stream>>>(table, ids, out, dim);
  checkLaunch("embedKernel");
}

void argmax(const float* logits, int rows, int vocab, int32_t* ids, cudaStream_t stream) {
  require(rows >= 0 && vocab > 0, "argmax sizes");
  if (rows == 0) return;
  elementwise::argmaxKernel<<<rows, elementwise::kArgmaxThreads, 0, stream>>>(logits, vocab, ids);
  checkLaunch("argmaxKernel");
}

}  // namespace vl2::cuda
