// A decoder layer's attention on the GPU: multi-head (Tiny) or multi-head latent (Small, Base) over
// the paged cache, prefill chunks and decode rows of one step together.
#include <algorithm>
#include <cmath>

#include "backend/cuda/attention/attention.h"
#include "backend/cuda/check.h"
#include "backend/cuda/elementwise/elementwise.h"
#include "backend/cuda/model/device_ops.h"
#include "backend/cuda/model/step_layout.h"

namespace vl2::cuda {
namespace {

// y[:, h, :] = x[:, h, :] W[h]^T for every head: strided operands, one launch.
void perHeadGemm(const __nv_bfloat16* x, long long xStride, long long xHeadStride, const __nv_bfloat16* w,
                 long long wStride, long long wHeadStride, __nv_bfloat16* y, long long yStride,
                 long long yHeadStride, int rows, int heads, int n, int k, cudaStream_t stream) {
  AnyGemm g;
  g.x = x;
  g.xStride = xStride;
  g.xBatchStride = xHeadStride;
  g.w = w;
  g.wStride = wStride;
  g.wBatchStride = wHeadStride;
  g.yStride = yStride;
  g.yBatchStride = yHeadStride;
  g.m = rows;
  g.n = n;
  g.k = k;
  g.batch = heads;
  anyGemm(g, y, stream);
}

}  // namespace

void CudaBackend::pagedRows(AnyAttention& a, const StepLayout& step, int first, int count) {
  a.blockTable = step.blockTable;
  a.maxBlocksPerSequence = step.maxBlocks;
  a.rowSequence = step.rowSequence + first;
  a.keyCount = step.keyCount + first;
  a.rows = count;
}

void CudaBackend::attention(const Layer& layer, int index, const StepLayout& step,
                            const __nv_bfloat16* normed, __nv_bfloat16* x) {
  if (config_.language.useMla) {
    latentAttention(layer, index, step, normed, x);
  } else {
    multiHeadAttention(layer, index, step, normed, x);
  }
}

void CudaBackend::multiHeadAttention(const Layer& layer, int index, const StepLayout& step,
                                     const __nv_bfloat16* normed, __nv_bfloat16* x) {
  const LanguageConfig& c = config_.language;
  const int rows = step.rows, heads = c.numHeads, headDim = c.headDim(), width = heads * headDim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  Scratch& s = *scratch_;
  auto* q = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * width);
  auto* k = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * width);
  auto* v = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * width);
  auto* out = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * width);
  linear(normed, rows, layer.q, q, width, stream_);
  linear(normed, rows, layer.k, k, width, stream_);
  linear(normed, rows, layer.v, v, width, stream_);
  const float theta = static_cast<float>(c.ropeTheta);
  rope(q, rows, heads, width, headDim, 0, headDim, step.positions, theta, RopeLayout::kHalf, stream_);
  rope(k, rows, heads, width, headDim, 0, headDim, step.positions, theta, RopeLayout::kHalf, stream_);
  __nv_bfloat16* kCache = cacheLayer(index, 0);
  __nv_bfloat16* vCache = cacheLayer(index, 1);
  scatterRows(k, width, step.slotRows, kCache, width, rows, width, stream_);
  scatterRows(v, width, step.slotRows, vCache, width, rows, width, stream_);
  // Shape-agnostic attention over rows [first, first + count).
  auto generic = [&](int first, int count) {
    AnyAttention a;
    a.q1 = q + static_cast<std::size_t>(first) * width;
    a.q1RowStride = width;
    a.q1HeadStride = headDim;
    a.d1 = headDim;
    a.k = kCache;
    a.kRowStride = width;
    a.kHeadStride = headDim;
    a.v = vCache;
    a.vRowStride = width;
    a.vHeadStride = headDim;
    a.dv = headDim;
    pagedRows(a, step, first, count);
    a.heads = heads;
    a.kvHeads = heads;
    a.scale = scale;
    a.out = out + static_cast<std::size_t>(first) * width;
    a.outRowStride = width;
    a.outHeadStride = headDim;
    anyAttention(a, stream_);
  };
  const bool tuned = tunedKernels() && headDim == 128;
  for (int si = 0; si < step.firstDecodeSegment; ++si) {
    const BatchSegment& segment = step.hostSegments[si];
    const int first = static_cast<int>(segment.firstRow), count = static_cast<int>(segment.count);
    if (tuned && segment.start == 0) {  // a prompt's first chunk: its keys are its own rows
      const std::size_t offset = static_cast<std::size_t>(first) * width;
      FlashTensor fq{q + offset, width, headDim, 0}, fk{k + offset, width, headDim, 0},
          fv{v + offset, width, headDim, 0};
      FlashOutput fo{out + offset, width, headDim, 0};
      flashPrefill(fq, fk, fv, fo, 1, heads, heads, count, count, headDim, headDim, scale, true, stream_);
    } else {
      generic(first, count);
    }
  }
  const int decodeRows = rows - step.firstDecodeRow;
  if (decodeRows > 0 && tuned) {
    const size_t bytes = decodeWorkspaceBytes(decodeRows, heads, headDim);
    void* workspace = s.take<char>(bytes);
    const std::size_t offset = static_cast<std::size_t>(step.firstDecodeRow) * width;
    mhaDecode(q + offset, kCache, vCache, step.decodeTail(), decodeRows, heads, heads, scale, out + offset,
              workspace, bytes, stream_);
  } else if (decodeRows > 0) {
    generic(step.firstDecodeRow, decodeRows);
  }
  linear(out, rows, layer.o, x, c.hiddenSize, stream_, x, c.hiddenSize);
}

void CudaBackend::latentAttention(const Layer& layer, int index, const StepLayout& step,
                                  const __nv_bfloat16* normed, __nv_bfloat16* x) {
  const LanguageConfig& c = config_.language;
  const int rows = step.rows, heads = c.numHeads, rank = c.kvLoraRank, ropeDim = c.qkRopeHeadDim;
  const int nope = c.qkNopeHeadDim, vDim = c.vHeadDim, qk = nope + ropeDim, slot = rank + ropeDim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(qk));
  const float theta = static_cast<float>(c.ropeTheta);
  Scratch& s = *scratch_;
  auto* q = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * heads * qk);
  if (c.qLoraRank > 0) {
    auto* compressed = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * c.qLoraRank);
    linear(normed, rows, layer.qA, compressed, c.qLoraRank, stream_);
    rmsNorm(compressed, c.qLoraRank, layer.qANorm, compressed, c.qLoraRank, rows, c.qLoraRank, c.rmsNormEps,
            stream_);
    linear(compressed, rows, layer.qB, q, heads * qk, stream_);
  } else {
    linear(normed, rows, layer.q, q, heads * qk, stream_);
  }
  // Each kv row is the latent, then the rope key; only the latent is normed.
  auto* kv = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * slot);
  linear(normed, rows, layer.kvA, kv, slot, stream_);
  rmsNorm(kv, slot, layer.kvANorm, kv, slot, rows, rank, c.rmsNormEps, stream_);
  rope(kv, rows, 1, slot, 0, rank, ropeDim, step.positions, theta, RopeLayout::kInterleaved, stream_);
  auto* qRope = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * heads * ropeDim);
  copyHeads(q + nope, static_cast<long long>(heads) * qk, qk, qRope, static_cast<long long>(heads) * ropeDim,
            ropeDim, rows, heads, ropeDim, stream_);
  rope(qRope, rows, heads, static_cast<long long>(heads) * ropeDim, ropeDim, 0, ropeDim, step.positions,
       theta, RopeLayout::kInterleaved, stream_);
  // Absorb W_UK into the query: q_lat[h] = q_nope[h] W_UK[h].
  auto* qLatent = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * heads * rank);
  perHeadGemm(q, static_cast<long long>(heads) * qk, qk, layer.keyAbsorb, nope,
              static_cast<long long>(rank) * nope, qLatent, static_cast<long long>(heads) * rank, rank, rows,
              heads, rank, nope, stream_);
  __nv_bfloat16* latentCache = cacheLayer(index, 0);
  scatterRows(kv, slot, step.slotRows, latentCache, slot, rows, slot, stream_);

  auto* outLatent = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * heads * rank);
  auto generic = [&](int first, int count) {
    AnyAttention a;
    a.q1 = qLatent + static_cast<std::size_t>(first) * heads * rank;
    a.q1RowStride = static_cast<long long>(heads) * rank;
    a.q1HeadStride = rank;
    a.d1 = rank;
    a.q2 = qRope + static_cast<std::size_t>(first) * heads * ropeDim;
    a.q2RowStride = static_cast<long long>(heads) * ropeDim;
    a.q2HeadStride = ropeDim;
    a.d2 = ropeDim;
    a.k = latentCache;
    a.kRowStride = slot;
    a.keyOffset2 = rank;
    a.v = latentCache;
    a.vRowStride = slot;
    a.dv = rank;
    pagedRows(a, step, first, count);
    a.heads = heads;
    a.kvHeads = 1;
    a.scale = scale;
    a.out = outLatent + static_cast<std::size_t>(first) * heads * rank;
    a.outRowStride = static_cast<long long>(heads) * rank;
    a.outHeadStride = rank;
    anyAttention(a, stream_);
  };
  // A prompt's first chunk with the published head sizes goes through flash attention on keys
  // and values expanded from the latent (below); other prompt chunks here.
  const bool expand = tunedKernels() && qk == 192 && vDim == 128;
  for (int si = 0; si < step.firstDecodeSegment; ++si) {
    const BatchSegment& segment = step.hostSegments[si];
    if (!(expand && segment.start == 0))
      generic(static_cast<int>(segment.firstRow), static_cast<int>(segment.count));
  }
  const int decodeRows = rows - step.firstDecodeRow;
  if (decodeRows > 0 && tunedKernels() && rank == 512 && ropeDim == 64 && heads <= 32) {
    const size_t bytes = decodeWorkspaceBytes(decodeRows, heads, rank);
    void* workspace = s.take<char>(bytes);
    const std::size_t row = step.firstDecodeRow;
    mlaDecode(qLatent + row * heads * rank, qRope + row * heads * ropeDim, latentCache, step.decodeTail(),
              decodeRows, heads, scale, outLatent + row * heads * rank, workspace, bytes, stream_);
  } else if (decodeRows > 0) {
    generic(step.firstDecodeRow, decodeRows);
  }
  // out[h] = o_lat[h] W_UV[h]^T, W_UV[h] being kv_b rows [h (nope + v) + nope, + v).
  auto* attended = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * heads * vDim);
  perHeadGemm(outLatent, static_cast<long long>(heads) * rank, rank,
              layer.kvB + static_cast<std::size_t>(nope) * rank, rank,
              static_cast<long long>(nope + vDim) * rank, attended, static_cast<long long>(heads) * vDim,
              vDim, rows, heads, vDim, rank, stream_);
  for (int si = 0; expand && si < step.firstDecodeSegment; ++si) {
    const BatchSegment& segment = step.hostSegments[si];
    if (segment.start == 0)
      expandedPrefill(layer, kv, q, qRope, static_cast<int>(segment.firstRow),
                      static_cast<int>(segment.count), attended);
  }
  linear(attended, rows, layer.o, x, c.hiddenSize, stream_, x, c.hiddenSize);
}

void CudaBackend::expandedPrefill(const Layer& layer, const __nv_bfloat16* kv, const __nv_bfloat16* q,
                                  const __nv_bfloat16* qRope, int first, int count, __nv_bfloat16* attended) {
  // Without a cached prefix, attention over the chunk's own tokens is cheaper with the latent
  // expanded to per-head keys and values (kv_b_proj, one GEMM) and a flash kernel, than
  // absorbed: the same arithmetic (SPEC section 6), written to `attended` directly.
  const LanguageConfig& c = config_.language;
  const int heads = c.numHeads, rank = c.kvLoraRank, ropeDim = c.qkRopeHeadDim, nope = c.qkNopeHeadDim;
  const int vDim = c.vHeadDim, qk = nope + ropeDim, slot = rank + ropeDim, wide = nope + vDim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(qk));
  Scratch& s = *scratch_;
  const Scratch::Mark start = s.mark();
  auto* latent = s.take<__nv_bfloat16>(static_cast<std::size_t>(count) * rank);
  copyHeads(kv + static_cast<std::size_t>(first) * slot, slot, 0, latent, rank, 0, count, 1, rank, stream_);
  auto* expanded = s.take<__nv_bfloat16>(static_cast<std::size_t>(count) * heads * wide);
  linear(latent, count, DeviceLinear{layer.kvB, nullptr, heads * wide, rank}, expanded, heads * wide,
         stream_);
  const long long fullStride = static_cast<long long>(heads) * qk;
  auto* queries = s.take<__nv_bfloat16>(static_cast<std::size_t>(count) * heads * qk);
  auto* keys = s.take<__nv_bfloat16>(static_cast<std::size_t>(count) * heads * qk);
  copyHeads(q + static_cast<std::size_t>(first) * heads * qk, fullStride, qk, queries, fullStride, qk, count,
            heads, nope, stream_);
  copyHeads(qRope + static_cast<std::size_t>(first) * heads * ropeDim,
            static_cast<long long>(heads) * ropeDim, ropeDim, queries + nope, fullStride, qk, count, heads,
            ropeDim, stream_);
  copyHeads(expanded, static_cast<long long>(heads) * wide, wide, keys, fullStride, qk, count, heads, nope,
            stream_);
  // The rope key is shared by every head (head stride 0).
  copyHeads(kv + static_cast<std::size_t>(first) * slot + rank, slot, 0, keys + nope, fullStride, qk, count,
            heads, ropeDim, stream_);
  FlashTensor fq{queries, fullStride, qk, 0}, fk{keys, fullStride, qk, 0};
  FlashTensor fv{expanded + nope, static_cast<long long>(heads) * wide, wide, 0};
  FlashOutput fo{attended + static_cast<std::size_t>(first) * heads * vDim,
                 static_cast<long long>(heads) * vDim, vDim, 0};
  flashPrefill(fq, fk, fv, fo, 1, heads, heads, count, count, qk, vDim, scale, true, stream_);
  s.rewind(start);
}

}  // namespace vl2::cuda
