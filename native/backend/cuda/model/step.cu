// A step's way onto the GPU and back: indices and embeddings uploaded (padded for a CUDA graph
// when the step only decodes), the decoder run or its graph replayed, then the logits downloaded
// or each row's token sampled on the device.
#include <algorithm>
#include <cstring>

#include "backend/cuda/check.h"
#include "backend/cuda/model/step_layout.h"
#include "backend/cuda/sampling/sampling.h"
#include "core/errors.h"

namespace vl2::cuda {

std::vector<float> CudaBackend::forward(const StepBatch& batch, const float* x, StepCaptures* captures) {
  // Routing as another backend chose is the reference's hook (the CPU backend's); the GPU is what
  // is checked, so it always routes by its own scores.
  if (captures && captures->routeAs) fail(ErrorCode::kUnsupported, "routeAs is for the CPU backend");
  check(cudaSetDevice(device_), "cudaSetDevice");
  scratch_->reset();
  const int rows = static_cast<int>(batch.rows());
  const StepLayout step = uploadStep(batch, x, rows, 0, 0);
  const float* logits = runDecoder(step, captures);
  std::vector<float> out(batch.segments.size() * static_cast<std::size_t>(config_.language.vocabSize));
  check(cudaMemcpyAsync(out.data(), logits, out.size() * sizeof(float), cudaMemcpyDeviceToHost, stream_),
        "logits download");
  check(cudaStreamSynchronize(stream_), "forward step");
  return out;
}

std::vector<TokenChoice> CudaBackend::forwardAndChoose(const StepBatch& batch, const float* x,
                                                       const std::vector<ChoiceRequest>& choices) {
  check(cudaSetDevice(device_), "cudaSetDevice");
  const int rows = static_cast<int>(choices.size());
  if (rows != static_cast<int>(batch.segments.size()))
    fail(ErrorCode::kInternal, "one token choice per segment expected");
  float* logits = decodeGraphs_ && batch.rows() == rows ? replayDecodeGraph(batch, x) : nullptr;
  if (logits == nullptr) {
    scratch_->reset();
    logits = runDecoder(uploadStep(batch, x, static_cast<int>(batch.rows()), 0, 0), nullptr);
  }
  // Parameters and seen ids of every row in one upload.
  std::vector<SamplingRow> params(static_cast<std::size_t>(rows));
  std::vector<int32_t> seen;
  std::vector<uint32_t> masks;  // the constrained rows' allowed-token bitmasks, one after another
  const std::size_t maskWords = (static_cast<std::size_t>(config_.language.vocabSize) + 31) / 32;
  for (int r = 0; r < rows; ++r) {
    const ChoiceRequest& c = choices[r];
    SamplingRow& p = params[r];
    if (c.params == nullptr) continue;  // no token wanted: a greedy pick nobody reads
    p.temperature = c.params->temperature;
    p.topK = c.params->topK;
    p.topP = c.params->topP;
    p.minP = c.params->minP;
    p.repetitionPenalty = c.params->repetitionPenalty;
    p.seed = c.seed;
    p.draw = c.draw;
    p.seenOffset = static_cast<int>(seen.size());
    if (p.repetitionPenalty != 1.0f) seen.insert(seen.end(), c.seen->begin(), c.seen->end());
    p.seenCount = static_cast<int>(seen.size()) - p.seenOffset;
    if (c.allowedReady) c.allowedReady->wait();  // the masks were computed while the forward ran
    if (c.allowed != nullptr) {
      p.maskOffset = static_cast<int>(masks.size());
      masks.insert(masks.end(), c.allowed, c.allowed + maskWords);
    }
  }
  auto* deviceParams = scratch_->take<SamplingRow>(params.size());
  auto* deviceSeen = scratch_->take<int32_t>(std::max<std::size_t>(seen.size(), 1));
  auto* deviceMasks = masks.empty() ? nullptr : scratch_->take<uint32_t>(masks.size());
  auto* chosen = scratch_->take<int32_t>(2 * static_cast<std::size_t>(rows));
  float* logprobs = reinterpret_cast<float*>(chosen + rows);
  check(cudaMemcpyAsync(deviceParams, params.data(), params.size() * sizeof(SamplingRow),
                        cudaMemcpyHostToDevice, stream_),
        "sampling upload");
  if (!seen.empty())
    check(cudaMemcpyAsync(deviceSeen, seen.data(), seen.size() * 4, cudaMemcpyHostToDevice, stream_),
          "seen ids upload");
  if (deviceMasks != nullptr)
    check(cudaMemcpyAsync(deviceMasks, masks.data(), masks.size() * 4, cudaMemcpyHostToDevice, stream_),
          "token masks upload");
  sampleTokens(logits, rows, config_.language.vocabSize, deviceParams, deviceSeen, deviceMasks, chosen,
               logprobs, stream_);
  std::vector<int32_t> result(2 * static_cast<std::size_t>(rows));
  check(cudaMemcpyAsync(result.data(), chosen, result.size() * 4, cudaMemcpyDeviceToHost, stream_),
        "tokens download");
  check(cudaStreamSynchronize(stream_), "forward step");
  std::vector<TokenChoice> out(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    out[r].token = result[r];
    std::memcpy(&out[r].logprob, &result[rows + r], sizeof(float));
  }
  return out;
}

namespace {

// Decode batches run as CUDA graphs captured per (rows, sequence-length bound) bucket: rows
// padded up to a power of two (padding rows attend one token of a spare block), the bound to a
// power of two from 256 (it sizes the decode kernels' split of long sequences; splits past a
// shorter sequence do nothing).
constexpr int kMaxGraphRows = 256;

int bucketUp(int value, int least) {
  int bucket = least;
  while (bucket < value) bucket *= 2;
  return bucket;
}

}  // namespace

float* CudaBackend::replayDecodeGraph(const StepBatch& batch, const float* x) {
  const int rows = static_cast<int>(batch.rows());
  if (rows > kMaxGraphRows) return nullptr;
  int maxSeqLen = 0;
  for (const BatchSegment& segment : batch.segments)
    maxSeqLen = std::max<int>(maxSeqLen, static_cast<int>(segment.start + segment.count));
  const int columns = (config_.language.maxPositions + kKvBlockTokens - 1) / kKvBlockTokens;
  const int paddedRows = bucketUp(rows, 1);
  const int seqBound = std::min(bucketUp(maxSeqLen, 256), columns * kKvBlockTokens);
  DecodeGraph& graph = decodeGraphs_->graphs[{paddedRows, seqBound}];
  scratch_->reset();
  const StepLayout step = uploadStep(batch, x, paddedRows, columns, seqBound);
  const bool stale =
      graph.exec == nullptr || graph.generation != scratch_->generation() || graph.inputs != step.positions;
  if (!stale) {
    scratch_->skipTo(graph.mark);
    check(cudaGraphLaunch(graph.exec, stream_), "cudaGraphLaunch");
    return graph.logits;
  }
  if (graph.exec) {
    cudaGraphExecDestroy(graph.exec);
    graph.exec = nullptr;
  }
  // Capture in relaxed mode: a first run may still grow the scratch (a host-side allocation).
  cudaGraph_t captured = nullptr;
  check(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed), "cudaStreamBeginCapture");
  float* logits = nullptr;
  try {
    logits = runDecoder(step, nullptr);
  } catch (...) {
    cudaStreamEndCapture(stream_, &captured);
    if (captured) cudaGraphDestroy(captured);
    throw;
  }
  check(cudaStreamEndCapture(stream_, &captured), "cudaStreamEndCapture");
  const cudaError_t status = cudaGraphInstantiate(&graph.exec, captured, 0);
  cudaGraphDestroy(captured);
  check(status, "cudaGraphInstantiate");
  graph.generation = scratch_->generation();
  graph.inputs = step.positions;
  graph.mark = scratch_->singleChunkUsed();
  graph.logits = logits;
  if (graph.mark == SIZE_MAX) {  // spread over chunks: run it now, capture again after they merge
    check(cudaGraphLaunch(graph.exec, stream_), "cudaGraphLaunch");
    cudaStreamSynchronize(stream_);
    cudaGraphExecDestroy(graph.exec);
    graph.exec = nullptr;
    return logits;
  }
  check(cudaGraphLaunch(graph.exec, stream_), "cudaGraphLaunch");
  return logits;
}

CudaBackend::StepLayout CudaBackend::uploadStep(const StepBatch& batch, const float* input, int paddedRows,
                                                int blockColumns, int seqLenBound) {
  const LanguageConfig& c = config_.language;
  const int rows = static_cast<int>(batch.rows()), hidden = c.hiddenSize;
  const bool padded = paddedRows > rows || blockColumns > 0;
  const int segments = padded ? paddedRows : static_cast<int>(batch.segments.size());
  Scratch& s = *scratch_;

  // Indices of the step, packed into one upload.
  StepLayout step;
  step.rows = paddedRows;
  step.realRows = rows;
  step.segments = segments;
  step.hostSegments = batch.segments;
  step.firstDecodeSegment = static_cast<int>(batch.segments.size());
  step.firstDecodeRow = rows;
  for (const BatchSegment& segment : batch.segments) {
    step.maxBlocks = std::max<int>(step.maxBlocks, static_cast<int>(segment.sequence->blockTable.size()));
    step.maxSeqLen = std::max<int>(step.maxSeqLen, static_cast<int>(segment.start + segment.count));
  }
  while (step.firstDecodeSegment > 0 && batch.segments[step.firstDecodeSegment - 1].count == 1) {
    step.firstDecodeSegment--;
    step.firstDecodeRow = static_cast<int>(batch.segments[step.firstDecodeSegment].firstRow);
  }
  step.maxBlocks = std::max({step.maxBlocks, blockColumns, 1});
  step.maxSeqLen = std::max(step.maxSeqLen, seqLenBound);
  const int total = paddedRows;
  std::vector<int32_t> host(static_cast<std::size_t>(4 * total + 2 * segments + segments * step.maxBlocks),
                            0);
  int32_t* hPositions = host.data();
  int32_t* hSlots = hPositions + total;
  int32_t* hRowSequence = hSlots + total;
  int32_t* hKeyCount = hRowSequence + total;
  int32_t* hSeqLens = hKeyCount + total;
  int32_t* hLastRows = hSeqLens + segments;
  int32_t* hBlockTable = hLastRows + segments;
  for (std::size_t si = 0; si < batch.segments.size(); ++si) {
    const BatchSegment& segment = batch.segments[si];
    const std::vector<std::int32_t>& table = segment.sequence->blockTable;
    std::copy(table.begin(), table.end(), hBlockTable + si * step.maxBlocks);
    hSeqLens[si] = static_cast<int32_t>(segment.start + segment.count);
    hLastRows[si] = static_cast<int32_t>(segment.firstRow + segment.count - 1);
    for (std::int64_t i = 0; i < segment.count; ++i) {
      const std::int64_t row = segment.firstRow + i, position = segment.start + i;
      hPositions[row] = batch.positions[row];
      hSlots[row] = table[position / kKvBlockTokens] * kKvBlockTokens + position % kKvBlockTokens;
      hRowSequence[row] = static_cast<int32_t>(si);
      hKeyCount[row] = static_cast<int32_t>(position + 1);
    }
  }
  // Padding rows (graphs): each its own one-token sequence in the spare block.
  for (int r = rows; r < total; ++r) {
    std::fill(hBlockTable + static_cast<std::size_t>(r) * step.maxBlocks,
              hBlockTable + static_cast<std::size_t>(r + 1) * step.maxBlocks, spareBlock_);
    hSeqLens[r] = 1;
    hLastRows[r] = r;
    hSlots[r] = spareBlock_ * kKvBlockTokens;
    hRowSequence[r] = r;
    hKeyCount[r] = 1;
  }
  int32_t* device = s.take<int32_t>(host.size());
  check(cudaMemcpyAsync(device, host.data(), host.size() * 4, cudaMemcpyHostToDevice, stream_),
        "step upload");
  step.positions = device;
  step.slotRows = device + (hSlots - host.data());
  step.rowSequence = device + (hRowSequence - host.data());
  step.keyCount = device + (hKeyCount - host.data());
  step.seqLens = device + (hSeqLens - host.data());
  step.lastRows = device + (hLastRows - host.data());
  step.blockTable = device + (hBlockTable - host.data());
  if (padded) {  // the graph sees one decode run over every row, padding included
    step.firstDecodeSegment = 0;
    step.firstDecodeRow = 0;
  }

  step.embeddings = s.take<float>(static_cast<std::size_t>(total) * hidden);
  check(
      cudaMemcpyAsync(step.embeddings, input, sizeof(float) * rows * hidden, cudaMemcpyHostToDevice, stream_),
      "embeddings upload");
  if (total > rows)
    check(cudaMemsetAsync(step.embeddings + static_cast<std::size_t>(rows) * hidden, 0,
                          sizeof(float) * (total - rows) * hidden, stream_),
          "padding rows");
  return step;
}

}  // namespace vl2::cuda
