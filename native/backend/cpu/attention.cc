#include "backend/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/elementwise.h"
#include "backend/cpu/matmul.h"

namespace vl2::cpu {
namespace {

float dot(const float* a, const float* b, int n) {
  float partial[4] = {0, 0, 0, 0};
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int j = 0; j < 4; ++j) partial[j] += a[i + j] * b[i + j];
  }
  float sum = (partial[0] + partial[1]) + (partial[2] + partial[3]);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// scores -> probabilities in place (fp32, max-subtracted). vectorExp: the bf16
// precision's 8-wide exp (2 ulp, a rounding far below bf16's); SigLIP's softmax
// over 729 keys spent more time in scalar expf than in its two GEMMs.
void softmax(std::vector<float>& scores, std::int64_t n, bool vectorExp = false) {
  float maxScore = -INFINITY;
  for (std::int64_t t = 0; t < n; ++t) maxScore = std::max(maxScore, scores[t]);
  double sum = 0;
  if (vectorExp) {
    sum = kernels::expShiftedAvx2(scores.data(), n, maxScore);
  } else {
    for (std::int64_t t = 0; t < n; ++t) {
      scores[t] = std::exp(scores[t] - maxScore);
      sum += scores[t];
    }
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (std::int64_t t = 0; t < n; ++t) scores[t] *= inv;
}

// out[d] = sum_t p[t] * row(t)[d]
template <typename RowOf>
void weightedSum(const std::vector<float>& p, std::int64_t n, int dim, RowOf rowOf, float* out) {
  std::fill(out, out + dim, 0.0f);
  for (std::int64_t t = 0; t < n; ++t) {
    const float* row = rowOf(t);
    const float w = p[t];
    for (int d = 0; d < dim; ++d) out[d] += w * row[d];
  }
}

}  // namespace

void denseAttention(ThreadPool& pool, const float* q, const float* k, const float* v, std::int64_t rowStride,
                    std::int64_t tokens, int heads, int headDim, float scale, float* out) {
  // Per head, two GEMMs: scores = Q K^T, then out = P V (V transposed so both run as x W^T).
  std::vector<float> qh(static_cast<std::size_t>(tokens * headDim)), kh(qh.size()), vhT(qh.size());
  std::vector<float> scores(static_cast<std::size_t>(tokens * tokens)), oh(qh.size());
  // Read here: the pool's threads do not carry the caller's precision.
  const bool vectorExp = currentCpuPrecision() == CpuPrecision::kBf16 && cpuHasAvx2();
  for (int h = 0; h < heads; ++h) {
    for (std::int64_t t = 0; t < tokens; ++t) {
      for (int d = 0; d < headDim; ++d) {
        qh[t * headDim + d] = q[t * rowStride + h * headDim + d] * scale;
        kh[t * headDim + d] = k[t * rowStride + h * headDim + d];
        vhT[d * tokens + t] = v[t * rowStride + h * headDim + d];
      }
    }
    matmulF32(pool, qh.data(), tokens, headDim, kh.data(), tokens, scores.data());
    pool.parallelFor(tokens, 16, [&](std::int64_t begin, std::int64_t end) {
      std::vector<float> row;
      for (std::int64_t r = begin; r < end; ++r) {
        row.assign(scores.begin() + r * tokens, scores.begin() + (r + 1) * tokens);
        softmax(row, tokens, vectorExp);
        std::copy(row.begin(), row.end(), scores.begin() + r * tokens);
      }
    });
    {
      // P V stays fp32 in either precision: with P and V rounded to bf16 too, small/wide greedy 5
      // of the golden cases reached 2.13e-2 against the 2e-2 bound (Q K^T alone in bf16: see
      // bench/NOTES.md).
      CpuPrecisionScope fp32Values(CpuPrecision::kFp32);
      matmulF32(pool, scores.data(), tokens, tokens, vhT.data(), headDim, oh.data());
    }
    for (std::int64_t t = 0; t < tokens; ++t) {
      std::copy(oh.begin() + t * headDim, oh.begin() + (t + 1) * headDim, out + (t * heads + h) * headDim);
    }
  }
}

void cachedMultiHeadAttention(ThreadPool& pool, HostKvCache& cache, const SequenceBlocks& sequence, int layer,
                              const float* q, std::int64_t start, std::int64_t count, int heads, int headDim,
                              float scale, float* out) {
  const std::int64_t valueOffset = static_cast<std::int64_t>(heads) * headDim;
  pool.parallelFor(count * heads, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> scores;
    for (std::int64_t item = begin; item < end; ++item) {
      const std::int64_t i = item / heads;
      const int h = static_cast<int>(item % heads);
      const std::int64_t visible = start + i + 1;  // causal: positions 0..start+i
      scores.resize(static_cast<std::size_t>(visible));
      const float* qi = q + (i * heads + h) * headDim;
      for (std::int64_t t = 0; t < visible; ++t) {
        scores[t] = dot(qi, cache.slot(sequence, layer, t) + h * headDim, headDim) * scale;
      }
      softmax(scores, visible);
      weightedSum(
          scores, visible, headDim,
          [&](std::int64_t t) { return cache.slot(sequence, layer, t) + valueOffset + h * headDim; },
          out + (i * heads + h) * headDim);
    }
  });
}

void cachedLatentAttention(ThreadPool& pool, HostKvCache& cache, const SequenceBlocks& sequence, int layer,
                           const float* qLatent, const float* qRope, std::int64_t start, std::int64_t count,
                           int heads, int rank, int ropeDim, float scale, float* outLatent) {
  pool.parallelFor(count * heads, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> scores;
    for (std::int64_t item = begin; item < end; ++item) {
      const std::int64_t i = item / heads;
      const int h = static_cast<int>(item % heads);
      const std::int64_t visible = start + i + 1;
      scores.resize(static_cast<std::size_t>(visible));
      const float* ql = qLatent + (i * heads + h) * rank;
      const float* qr = qRope + (i * heads + h) * ropeDim;
      for (std::int64_t t = 0; t < visible; ++t) {
        const float* slot = cache.slot(sequence, layer, t);
        scores[t] = (dot(ql, slot, rank) + dot(qr, slot + rank, ropeDim)) * scale;
      }
      softmax(scores, visible);
      weightedSum(
          scores, visible, rank, [&](std::int64_t t) { return cache.slot(sequence, layer, t); },
          outLatent + (i * heads + h) * rank);
    }
  });
}

}  // namespace vl2::cpu
