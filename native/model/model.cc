#include "model/model.h"

#include "backend/cuda_backend.h"
#include "core/errors.h"
#include "model/cpu_backend.h"
#include "model/linear.h"
#include "model/prompt_hash.h"

namespace vl2 {

namespace {
constexpr int kTileSide = 384;  // processor tiles are 384x384 RGB
constexpr std::int64_t kTileBytes = static_cast<std::int64_t>(kTileSide) * kTileSide * 3;

std::unique_ptr<ModelBackend> createBackend(const WeightStore& store, const ModelConfig& config,
                                            const ModelOptions& options) {
  if (options.device == Device::kCuda) return createCudaBackend(store, config, options.cudaDevice);
  return std::make_unique<CpuBackend>(store, config, options.threads);
}

}  // namespace

Model::Model(std::unique_ptr<WeightStore> store, const ModelConfig& config, const ModelOptions& options)
    : config_(config),
      store_(std::move(store)),
      imageNewline_(widenToFloat(store_->get("image_newline", {config.language.hiddenSize}))),
      viewSeparator_(widenToFloat(store_->get("view_seperator", {config.language.hiddenSize}))) {
  if (config_.vision.imageSize != kTileSide) {
    fail(ErrorCode::kUnsupported,
         "vision image_size " + std::to_string(config_.vision.imageSize) + " (expected 384)");
  }
  if (options.cacheTokens <= 0) fail(ErrorCode::kInvalidArgument, "cacheTokens must be positive");
  if (!(options.cacheMemoryFraction >= 0 && options.cacheMemoryFraction < 1))
    fail(ErrorCode::kInvalidArgument, "cacheMemoryFraction must be in [0, 1)");
  embeddings_ =
      store_
          ->get("language.model.embed_tokens.weight", {config.language.vocabSize, config.language.hiddenSize})
          .bf16();
  const int ratio = config.projector.downsampleRatio;
  featureSide_ = (config.vision.gridSide() + ratio - 1) / ratio;
  backend_ = createBackend(*store_, config_, options);
  std::int64_t blocks = (options.cacheTokens + kKvBlockTokens - 1) / kKvBlockTokens;
  if (options.cacheMemoryFraction > 0) {
    blocks = backend_->cacheBlocksFor(options.cacheMemoryFraction);
    if (blocks <= 0) fail(ErrorCode::kOutOfMemory, "no GPU memory is left for a KV cache after the weights");
  }
  cache_ = backend_->createCache(blocks);
}

void Model::embed(const std::int32_t* ids, std::int64_t count, float* rows) const {
  const std::int64_t hidden = config_.language.hiddenSize;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::uint16_t* row = embeddings_ + static_cast<std::int64_t>(ids[i]) * hidden;
    for (std::int64_t d = 0; d < hidden; ++d) rows[i * hidden + d] = bf16ToFloat(row[d]);
  }
}

std::int64_t Model::freeCacheTokens() {
  std::lock_guard<std::mutex> lock(mutex_);
  return cache_->freeBlockCount() * kKvBlockTokens;
}

std::int64_t Model::prefixHitBlocks() {
  std::lock_guard<std::mutex> lock(mutex_);
  return cache_->prefixHitBlocks();
}

std::int64_t Model::visionCacheHits() {
  std::lock_guard<std::mutex> lock(mutex_);
  return visionCacheHits_;
}

std::int64_t Model::createSequence() {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::int64_t id = nextSequence_++;
  sequences_.emplace(id, SequenceBlocks{});
  return id;
}

void Model::freeSequence(std::int64_t sequence) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = sequences_.find(sequence);
  if (it == sequences_.end()) return;
  cache_->release(it->second);
  sequences_.erase(it);
}

std::int64_t Model::sequenceLength(std::int64_t sequence) {
  std::lock_guard<std::mutex> lock(mutex_);
  return sequenceOrThrow(sequence).length;
}

SequenceBlocks& Model::sequenceOrThrow(std::int64_t sequence) {
  auto it = sequences_.find(sequence);
  if (it == sequences_.end())
    fail(ErrorCode::kInvalidArgument, "unknown sequence " + std::to_string(sequence));
  return it->second;
}

void Model::reserveOrThrow(SequenceBlocks& blocks, std::int64_t tokens) {
  if (!cache_->reserve(blocks, tokens)) {
    fail(ErrorCode::kOutOfMemory, "the KV cache is full (" + std::to_string(cache_->capacityTokens()) +
                                      " tokens, " +
                                      std::to_string(cache_->freeBlockCount() * kKvBlockTokens) +
                                      " free; this needs " + std::to_string(tokens) + ")");
  }
}

void Model::validatePrompt(const PromptInput& prompt, std::int64_t alreadyCached) const {
  const std::int64_t count = static_cast<std::int64_t>(prompt.inputIds.size());
  if (count == 0) fail(ErrorCode::kInvalidArgument, "inputIds is empty");
  if (alreadyCached != 0) fail(ErrorCode::kInvalidArgument, "prefill needs a fresh sequence");
  if (count > config_.language.maxPositions) {
    fail(ErrorCode::kContextOverflow, "the prompt has " + std::to_string(count) +
                                          " tokens; the context holds " +
                                          std::to_string(config_.language.maxPositions));
  }
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int32_t id = prompt.inputIds[i];
    if (id < 0 || id >= config_.language.vocabSize) {
      fail(ErrorCode::kInvalidArgument, "inputIds[" + std::to_string(i) + "] = " + std::to_string(id) +
                                            " is outside the vocabulary (0.." +
                                            std::to_string(config_.language.vocabSize - 1) + ")");
    }
  }
  std::int64_t tiles = 0, imageTokens = 0;
  for (auto [across, down] : prompt.imagesSpatialCrop) {
    if (across < 1 || down < 1 || across * down > 81) {
      fail(ErrorCode::kInvalidArgument, "invalid images_spatial_crop entry [" + std::to_string(across) +
                                            ", " + std::to_string(down) + "]");
    }
    tiles += 1 + across * down;
    imageTokens += imageTokenCount(config_, across, down);
  }
  if (prompt.tileBytes != tiles * kTileBytes) {
    fail(ErrorCode::kInvalidArgument, "tiles hold " + std::to_string(prompt.tileBytes) +
                                          " bytes; the spatial crops need " + std::to_string(tiles) +
                                          " tiles of 384x384x3 = " + std::to_string(tiles * kTileBytes));
  }
  if (static_cast<std::int64_t>(prompt.imageTokenPositions.size()) != imageTokens) {
    fail(ErrorCode::kInvalidArgument, "imageTokenPositions has " +
                                          std::to_string(prompt.imageTokenPositions.size()) +
                                          " entries; the images need " + std::to_string(imageTokens));
  }
  std::int64_t previous = -1;
  for (std::int32_t position : prompt.imageTokenPositions) {
    if (position <= previous || position >= count) {
      fail(ErrorCode::kInvalidArgument,
           "imageTokenPositions must ascend inside the prompt (got " + std::to_string(position) + ")");
    }
    previous = position;
  }
}

void Model::placeImageFeatures(const PromptInput& prompt, const std::vector<std::uint64_t>& imageHashes,
                               float* embeddings, PromptCaptures* captures) {
  const std::int64_t hidden = config_.language.hiddenSize;
  const int side = featureSide_;
  const std::vector<float>& newline = imageNewline_;
  const std::vector<float>& separator = viewSeparator_;
  std::size_t nextPosition = 0;
  auto emit = [&](const float* row) {
    const std::int32_t position = prompt.imageTokenPositions[nextPosition++];
    std::copy(row, row + hidden, embeddings + position * hidden);
  };
  std::int64_t tileIndex = 0;
  for (std::size_t image = 0; image < prompt.imagesSpatialCrop.size(); ++image) {
    const auto [across, down] = prompt.imagesSpatialCrop[image];
    const std::int64_t tiles = 1 + static_cast<std::int64_t>(across) * down;
    const bool capture = captures && captures->wanted;
    std::shared_ptr<const std::vector<float>> cached =
        capture ? nullptr : cachedVisionFeatures(imageHashes[image]);
    if (cached) visionCacheHits_++;
    auto computed = std::make_shared<std::vector<float>>(
        cached ? 0 : static_cast<std::size_t>(tiles * side * side * hidden));  // [tile][side*side][hidden]
    if (!cached) {
      TileCaptures tileCaptures;
      tileCaptures.wanted = capture && tileIndex == 0;
      backend_->encodeTiles(prompt.tiles + tileIndex * kTileBytes, tiles, computed->data(), &tileCaptures);
      if (tileCaptures.wanted) {
        captures->vision0 = std::move(tileCaptures.vision0);
        captures->projector0 = std::move(tileCaptures.projector0);
      }
      rememberVisionFeatures(imageHashes[image], computed);
    }
    tileIndex += tiles;
    const std::vector<float>& features = cached ? *cached : *computed;
    auto feature = [&](std::int64_t tile, int row, int column) {
      return features.data() + ((tile * side + row) * side + column) * hidden;
    };
    for (int r = 0; r < side; ++r) {  // global view: rows with a newline each
      for (int c = 0; c < side; ++c) emit(feature(0, r, c));
      emit(newline.data());
    }
    emit(separator.data());
    for (int R = 0; R < side * down; ++R) {  // local tiles stitched into one grid, row by row
      for (int C = 0; C < side * across; ++C)
        emit(feature(1 + (R / side) * across + C / side, R % side, C % side));
      emit(newline.data());
    }
  }
}

std::shared_ptr<const std::vector<float>> Model::cachedVisionFeatures(std::uint64_t imageHash) {
  for (const auto& [hash, features] : visionCache_) {
    if (hash == imageHash) return features;
  }
  return nullptr;
}

void Model::rememberVisionFeatures(std::uint64_t imageHash,
                                   std::shared_ptr<const std::vector<float>> features) {
  visionCache_.emplace_back(imageHash, std::move(features));
  if (visionCache_.size() > kVisionCacheImages) visionCache_.pop_front();
}

std::vector<float> Model::prefill(std::int64_t sequence, const PromptInput& prompt,
                                  PromptCaptures* captures) {
  std::lock_guard<std::mutex> lock(mutex_);
  SequenceBlocks& blocks = sequenceOrThrow(sequence);
  validatePrompt(prompt, blocks.length);
  const std::int64_t count = static_cast<std::int64_t>(prompt.inputIds.size());
  const std::vector<std::uint64_t> imageHashes = imageContentHashes(prompt, kTileBytes, config_);
  const std::vector<std::uint64_t> blockHashes = promptBlockHashes(prompt, imageHashes, config_);
  // Reuse the cached blocks of a shared prefix; at least the last token is computed, for its logits.
  const std::int64_t shared = cache_->adoptPrefix(blocks, blockHashes, (count - 1) / kKvBlockTokens);
  const std::int64_t start = shared * kKvBlockTokens;
  try {
    reserveOrThrow(blocks, count);
  } catch (...) {
    cache_->release(blocks);
    throw;
  }
  const std::int64_t hidden = config_.language.hiddenSize;
  std::vector<float> x(static_cast<std::size_t>(count * hidden));
  embed(prompt.inputIds.data(), count, x.data());
  if (!prompt.imagesSpatialCrop.empty()) placeImageFeatures(prompt, imageHashes, x.data(), captures);
  if (captures && captures->wanted) captures->embeds = x;

  StepBatch batch;
  batch.segments.push_back(BatchSegment{&blocks, start, count - start, 0});
  batch.positions.resize(static_cast<std::size_t>(count - start));
  for (std::int64_t i = start; i < count; ++i) batch.positions[i - start] = static_cast<std::int32_t>(i);
  StepCaptures stepCaptures;
  stepCaptures.hiddenLast = captures && captures->wanted;
  std::vector<float> logits = backend_->forward(*cache_, batch, x.data() + start * hidden, &stepCaptures);
  blocks.length = count;
  cache_->registerPrefix(blocks, blockHashes);
  if (captures && captures->wanted) captures->hiddenLast = std::move(stepCaptures.hidden);
  return logits;
}

StepBatch Model::decodeBatch(const std::vector<DecodeRequest>& requests, std::vector<float>& x) {
  StepBatch batch;
  std::vector<std::int32_t> tokens;
  for (const DecodeRequest& request : requests) {
    SequenceBlocks& blocks = sequenceOrThrow(request.sequence);
    if (blocks.length == 0)
      fail(ErrorCode::kInvalidArgument,
           "decode before prefill on sequence " + std::to_string(request.sequence));
    if (request.token < 0 || request.token >= config_.language.vocabSize) {
      fail(ErrorCode::kInvalidArgument,
           "token " + std::to_string(request.token) + " is outside the vocabulary");
    }
    if (blocks.length + 1 > config_.language.maxPositions) {
      fail(ErrorCode::kContextOverflow, "sequence " + std::to_string(request.sequence) +
                                            " is at the context limit (" +
                                            std::to_string(config_.language.maxPositions) + " tokens)");
    }
    for (const BatchSegment& s : batch.segments) {
      if (s.sequence == &blocks)
        fail(ErrorCode::kInvalidArgument, "a sequence appears twice in one decode step");
    }
    reserveOrThrow(blocks, blocks.length + 1);
    batch.segments.push_back(BatchSegment{&blocks, blocks.length, 1, batch.rows()});
    batch.positions.push_back(static_cast<std::int32_t>(blocks.length));
    tokens.push_back(request.token);
  }
  x.resize(static_cast<std::size_t>(batch.rows() * config_.language.hiddenSize));
  embed(tokens.data(), batch.rows(), x.data());
  return batch;
}

std::vector<float> Model::decode(const std::vector<DecodeRequest>& requests) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (requests.empty()) return {};
  std::vector<float> x;
  StepBatch batch = decodeBatch(requests, x);
  std::vector<float> logits = backend_->forward(*cache_, batch, x.data(), nullptr);
  for (BatchSegment& segment : batch.segments) segment.sequence->length += 1;
  return logits;
}

std::vector<TokenChoice> Model::decodeAndChoose(const std::vector<DecodeRequest>& requests,
                                                const std::vector<ChoiceRequest>& choices) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (requests.empty()) return {};
  if (choices.size() != requests.size()) fail(ErrorCode::kInternal, "one choice request per decode request");
  std::vector<float> x;
  StepBatch batch = decodeBatch(requests, x);
  std::vector<TokenChoice> chosen = backend_->forwardAndChoose(*cache_, batch, x.data(), choices);
  for (BatchSegment& segment : batch.segments) segment.sequence->length += 1;
  return chosen;
}

}  // namespace vl2
