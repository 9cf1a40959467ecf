// The decoder on the GPU: from a step's uploaded embeddings (step_layout.h) through every layer
// over the paged bf16 cache (prefill chunks and decode tokens together) to the logits of each
// segment's last row.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cuda/attention/attention.h"
#include "backend/cuda/check.h"
#include "backend/cuda/elementwise/elementwise.h"
#include "backend/cuda/model/device_ops.h"
#include "backend/cuda/model/step_layout.h"
#include "backend/cuda/moe/moe.h"
#include "core/dtype.h"

namespace vl2::cuda {

namespace {

MoeRouting routingOf(const LanguageConfig& c) {
  MoeRouting r;
  r.experts = c.routedExperts;
  r.topK = c.expertsPerToken;
  r.groups = c.groups;
  r.topkGroups = c.topkGroups;
  r.scoring = c.scoring == ScoringFunc::kSoftmax ? MoeScoring::kSoftmax : MoeScoring::kSigmoid;
  r.method = c.topkMethod == TopkMethod::kGreedy               ? MoeTopkMethod::kGreedy
             : c.topkMethod == TopkMethod::kGroupLimitedGreedy ? MoeTopkMethod::kGroupLimitedGreedy
                                                               : MoeTopkMethod::kNoauxTc;
  r.normTopkProb = c.normTopkProb;
  r.routedScalingFactor = c.routedScalingFactor;
  return r;
}

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

float* CudaBackend::runDecoder(const StepLayout& step, StepCaptures* captures) {
  const LanguageConfig& c = config_.language;
  const int rows = step.rows, hidden = c.hiddenSize, segments = step.segments;
  Scratch& s = *scratch_;
  auto* x = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * hidden);
  convertToBf16(step.embeddings, x, static_cast<long long>(rows) * hidden, stream_);

  const bool capture = captures && captures->hiddenLast;
  if (capture) {
    captures->hidden.clear();
    captures->experts.clear();
    captures->routerScores.clear();
  }
  const __nv_bfloat16* lastRow = x + static_cast<std::size_t>(rows - 1) * hidden;
  std::vector<std::int64_t> captureRows;
  for (const BatchSegment& segment : step.hostSegments)
    captureRows.push_back(segment.firstRow + segment.count - 1);
  if (capture) captureRow(lastRow, captures->hidden);
  auto* normed = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * hidden);
  for (int l = 0; l < c.numLayers; ++l) {
    const Layer& layer = layers_[l];
    const Scratch::Mark layerStart = s.mark();  // every layer reuses the same scratch
    rmsNorm(x, hidden, layer.inputNorm, normed, hidden, rows, hidden, c.rmsNormEps, stream_);
    attention(layer, l, step, normed, x);
    rmsNorm(x, hidden, layer.postNorm, normed, hidden, rows, hidden, c.rmsNormEps, stream_);
    feedForward(layer, rows, normed, x, capture && layer.moe ? &captureRows : nullptr,
                capture && layer.moe ? &captures->experts : nullptr,
                capture && layer.moe ? &captures->routerScores : nullptr);
    if (capture) captureRow(lastRow, captures->hidden);
    s.rewind(layerStart);
  }
  // Only each segment's last row needs the final norm and the lm head.
  auto* last = s.take<__nv_bfloat16>(static_cast<std::size_t>(segments) * hidden);
  gatherRows(x, hidden, step.lastRows, last, hidden, segments, hidden, stream_);
  rmsNorm(last, hidden, finalNorm_, last, hidden, segments, hidden, c.rmsNormEps, stream_);
  if (capture) {
    std::vector<float> normedLast;
    captureRow(last + static_cast<std::size_t>(segments - 1) * hidden, normedLast);
    std::copy(normedLast.begin(), normedLast.end(), captures->hidden.end() - hidden);
  }
  auto* logits = s.take<float>(static_cast<std::size_t>(segments) * c.vocabSize);
  linear(last, segments, lmHead_, logits, c.vocabSize, stream_);
  return logits;
}

void CudaBackend::captureRow(const __nv_bfloat16* row, std::vector<float>& into) {
  const int hidden = config_.language.hiddenSize;
  std::vector<std::uint16_t> bits(static_cast<std::size_t>(hidden));
  check(cudaMemcpyAsync(bits.data(), row, bits.size() * 2, cudaMemcpyDeviceToHost, stream_), "capture");
  check(cudaStreamSynchronize(stream_), "capture");
  for (std::uint16_t b : bits) into.push_back(bf16ToFloat(b));
}

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

void CudaBackend::feedForward(const Layer& layer, int rows, const __nv_bfloat16* normed, __nv_bfloat16* x,
                              const std::vector<std::int64_t>* captureRows,
                              std::vector<std::int32_t>* capturedExperts,
                              std::vector<float>* capturedScores) {
  const LanguageConfig& c = config_.language;
  const int hidden = c.hiddenSize;
  Scratch& s = *scratch_;
  if (!layer.moe) {
    auto* h = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * layer.gate.out);
    gateUpSilu(normed, rows, layer.gate, layer.up, h, stream_);
    linear(h, rows, layer.down, x, hidden, stream_, x, hidden);
    return;
  }
  const MoeRouting routing = routingOf(c);
  const int experts = c.routedExperts, topK = c.expertsPerToken, inter = c.moeIntermediateSize;
  const std::size_t slots = static_cast<std::size_t>(rows) * topK;
  auto* logits = s.take<float>(static_cast<std::size_t>(rows) * experts);
  linear(normed, rows, layer.router, logits, experts, stream_);
  auto* expertIds = s.take<int32_t>(slots);
  auto* weights = s.take<float>(slots);
  const bool captureScores = captureRows && capturedExperts && capturedScores;
  // Scratch for the scores only while capturing: the uncaptured step writes nothing more.
  float* choices = captureScores ? s.take<float>(static_cast<std::size_t>(rows) * experts) : nullptr;
  moeRoute(logits, layer.correctionBias, rows, routing, expertIds, weights, stream_, choices);
  if (captureRows && capturedExperts) {
    std::vector<std::int32_t> all(slots);
    check(cudaMemcpyAsync(all.data(), expertIds, slots * sizeof(int32_t), cudaMemcpyDeviceToHost, stream_),
          "routing capture");
    std::vector<float> allScores(captureScores ? static_cast<std::size_t>(rows) * experts : 0);
    if (captureScores) {
      check(cudaMemcpyAsync(allScores.data(), choices, allScores.size() * sizeof(float),
                            cudaMemcpyDeviceToHost, stream_),
            "routing capture");
    }
    check(cudaStreamSynchronize(stream_), "routing capture");
    for (std::int64_t row : *captureRows) {
      auto first = all.begin() + row * topK;
      std::vector<std::int32_t> chosen(first, first + topK);
      std::sort(chosen.begin(), chosen.end());
      capturedExperts->insert(capturedExperts->end(), chosen.begin(), chosen.end());
      if (captureScores) {
        auto scores = allScores.begin() + row * experts;
        capturedScores->insert(capturedScores->end(), scores, scores + experts);
      }
    }
  }
  auto* offsets = s.take<int32_t>(experts + 1);
  auto* rowSource = s.take<int32_t>(slots);
  auto* slotRow = s.take<int32_t>(slots);
  moePermute(expertIds, rows, topK, experts, offsets, rowSource, slotRow, stream_);
  auto* h = s.take<__nv_bfloat16>(slots * inter);
  moeGateUp(normed, rowSource, offsets, layer.expertGate, layer.expertUp, h, rows, topK, experts, inter,
            hidden, stream_);
  auto* y = s.take<float>(slots * hidden);
  moeDown(h, offsets, layer.expertDown, y, rows, topK, experts, hidden, inter, stream_);
  auto* sharedH = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * layer.sharedGate.out);
  gateUpSilu(normed, rows, layer.sharedGate, layer.sharedUp, sharedH, stream_);
  auto* shared = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * hidden);
  linear(sharedH, rows, layer.sharedDown, shared, hidden, stream_);
  moeCombine(y, slotRow, weights, shared, x, x, rows, topK, hidden, stream_);
}

}  // namespace vl2::cuda
