// The decoder on the GPU: from a step's uploaded embeddings (step_layout.h) through every layer
// over the paged bf16 cache (prefill chunks and decode tokens together) to the logits of each
// segment's last row. Each layer's attention is attention_block.cu, its MLP or MoE feed_forward.cu
// (the CPU backend's files of the same names).
#include <algorithm>
#include <cstring>

#include "backend/cuda/check.h"
#include "backend/cuda/elementwise/elementwise.h"
#include "backend/cuda/model/device_ops.h"
#include "backend/cuda/model/step_layout.h"
#include "core/dtype.h"

namespace vl2::cuda {

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

}  // namespace vl2::cuda
