// Shape-agnostic kernels: correct for any sizes, used where the tuned kernels' shape rules
// do not hold (SigLIP's 14x14x3 patch vectors, odd MLP widths, per-head strided GEMMs, head
// dimensions other than the published ones, the golden toy models). Raw device pointers,
// bf16 in, fp32 math; every launch checked (vl2::Error kCuda / kInvalidArgument).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace vl2::cuda {

// y[b][m, n] = x[b][m, k] . w[b][n, k]^T (+ bias[n]) (+ residual[b][m, n]) for b < batch,
// every operand given by a row stride and a per-batch stride (elements). residual may
// alias y. OutT is float or __nv_bfloat16.
struct AnyGemm {
  const __nv_bfloat16* x = nullptr;
  long long xStride = 0, xBatchStride = 0;
  const __nv_bfloat16* w = nullptr;
  long long wStride = 0, wBatchStride = 0;
  const __nv_bfloat16* bias = nullptr;
  const __nv_bfloat16* residual = nullptr;
  long long residualStride = 0, residualBatchStride = 0;
  long long yStride = 0, yBatchStride = 0;
  int m = 0, n = 0, k = 0, batch = 1;
};
void anyGemm(const AnyGemm& g, __nv_bfloat16* y, cudaStream_t stream);
void anyGemm(const AnyGemm& g, float* y, cudaStream_t stream);

// Attention of `rows` query rows, each over the first keyCount[row] keys of its sequence
// rowSequence[row] (causal rows attend up to their own position; dense rows every key).
// Scores are q1 . k[0:d1] + q2 . k[keyOffset2 : keyOffset2 + d2] (MLA: latent and rope
// parts; plain heads: d2 = 0), softmax in fp32, output sum p v[0:dv].
// Key token t of sequence s lives in row blockTable[s][t / 64] * 64 + t % 64 of k and v
// (the paged cache), or in row s * sequenceRows + t when blockTable is null (contiguous).
struct AnyAttention {
  const __nv_bfloat16* q1 = nullptr;
  long long q1RowStride = 0, q1HeadStride = 0;
  int d1 = 0;
  const __nv_bfloat16* q2 = nullptr;
  long long q2RowStride = 0, q2HeadStride = 0;
  int d2 = 0;
  const __nv_bfloat16* k = nullptr;
  long long kRowStride = 0, kHeadStride = 0;
  int keyOffset2 = 0;
  const __nv_bfloat16* v = nullptr;
  long long vRowStride = 0, vHeadStride = 0;
  int dv = 0;
  const int32_t* blockTable = nullptr;
  int maxBlocksPerSequence = 0;
  int sequenceRows = 0;
  const int32_t* rowSequence = nullptr;  // [rows], device
  const int32_t* keyCount = nullptr;     // [rows], device
  int rows = 0, heads = 0, kvHeads = 0;
  float scale = 1.0f;
  __nv_bfloat16* out = nullptr;
  long long outRowStride = 0, outHeadStride = 0;
};
void anyAttention(const AnyAttention& a, cudaStream_t stream);

// dst[rowIndex[r], 0:width] = src[r, 0:width] (rows of a step written into the paged cache:
// rowIndex is block * 64 + offset). Strides in elements.
void scatterRows(const __nv_bfloat16* src, long long srcStride, const int32_t* rowIndex, __nv_bfloat16* dst,
                 long long dstStride, int rows, int width, cudaStream_t stream);
// dst[r, 0:width] = src[rowIndex[r], 0:width].
void gatherRows(const __nv_bfloat16* src, long long srcStride, const int32_t* rowIndex, __nv_bfloat16* dst,
                long long dstStride, int rows, int width, cudaStream_t stream);
// dst[r, h, 0:width] = src[r, h, 0:width] for strided heads (no alignment rules).
void copyHeads(const __nv_bfloat16* src, long long srcRowStride, long long srcHeadStride, __nv_bfloat16* dst,
               long long dstRowStride, long long dstHeadStride, int rows, int heads, int width,
               cudaStream_t stream);

void convertToBf16(const float* src, __nv_bfloat16* dst, long long count, cudaStream_t stream);
void convertToFloat(const __nv_bfloat16* src, float* dst, long long count, cudaStream_t stream);

// In place: x = GELU(x) for any count; tanh form (SigLIP) or erf form (projector).
void geluAny(__nv_bfloat16* x, long long count, bool tanhForm, cudaStream_t stream);
// In place: x[r, :] += table[r % period, :] (SigLIP's position embedding over many tiles).
void addPeriodicRows(__nv_bfloat16* x, const __nv_bfloat16* table, int rows, int width, int period,
                     cudaStream_t stream);

// uint8 RGB tiles [tiles][imageSize][imageSize][3] -> patch vectors [tiles * grid^2][3 * patch^2]
// in the conv weight's [c][ky][kx] order, scaled to [-1, 1].
void patchify(const uint8_t* tiles, int tileCount, int imageSize, int patch, int grid, __nv_bfloat16* out,
              cudaStream_t stream);
// The projector's 2x2 gather: features [tiles][grid^2][channels] -> [tiles][side^2][channels * 4],
// zero padded at the bottom and right, channel-major (F.unfold's layout).
void downsampleGather(const __nv_bfloat16* features, int tiles, int grid, int side, int ratio, int channels,
                      __nv_bfloat16* out, cudaStream_t stream);

}  // namespace vl2::cuda
