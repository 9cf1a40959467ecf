#include "model/model.h"

#include "core/dtype.h"
#include "core/errors.h"
#include "model/prompt_hash.h"

namespace vl2 {

namespace {
constexpr int kTileSide = 384;  // processor tiles are 384x384 RGB
constexpr std::int64_t kTileBytes = static_cast<std::int64_t>(kTileSide) * kTileSide * 3;
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
  backend_ = createBackend(*store_, config_, options.backend);
  backendChoice_ = options.backend;
  std::int64_t blocks = (options.cacheTokens + kKvBlockTokens - 1) / kKvBlockTokens;
  if (options.cacheMemoryFraction > 0) {
    blocks = backend_->cacheBlocksFor(options.cacheMemoryFraction);
    if (blocks <= 0) fail(ErrorCode::kOutOfMemory, "no GPU memory is left for a KV cache after the weights");
  }
  // The allocator first: it refuses a block count the tables cannot index.
  cacheBlocks_ = std::make_unique<KvBlockAllocator>(blocks);
  backend_->createCache(blocks);
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
  return cacheBlocks_->freeBlockCount() * kKvBlockTokens;
}

std::int64_t Model::prefixHitBlocks() {
  std::lock_guard<std::mutex> lock(mutex_);
  return cacheBlocks_->prefixHitBlocks();
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
  cacheBlocks_->release(it->second);
  sequences_.erase(it);
  pending_.erase(sequence);
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
  if (!cacheBlocks_->reserve(blocks, tokens)) {
    throw CacheFullError("the KV cache is full (" + std::to_string(cacheBlocks_->capacityTokens()) +
                         " tokens, " + std::to_string(cacheBlocks_->freeBlockCount() * kKvBlockTokens) +
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
    // The product in 64 bits: two int32 halves of a malformed layout overflow int (UBSan reported
    // it under test/fuzz/native-boundary).
    if (across < 1 || down < 1 || static_cast<std::int64_t>(across) * down > 81) {
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

void Model::encodeNewImages(const std::vector<const PromptInput*>& prompts,
                            const std::vector<std::vector<std::uint64_t>>& imageHashes, FeatureMap& fresh,
                            PromptCaptures* captures) {
  const std::int64_t features =
      static_cast<std::int64_t>(featureSide_) * featureSide_ * config_.language.hiddenSize;
  // The images no cache holds, each once, in prompt order.
  struct Work {
    std::uint64_t hash;
    const std::uint8_t* tiles;
    std::int64_t count;
  };
  std::vector<Work> work;
  const bool capture = captures && captures->wanted;
  for (std::size_t p = 0; p < prompts.size(); ++p) {
    std::int64_t tileIndex = 0;
    for (std::size_t image = 0; image < prompts[p]->imagesSpatialCrop.size(); ++image) {
      const auto [across, down] = prompts[p]->imagesSpatialCrop[image];
      const std::int64_t tiles = 1 + static_cast<std::int64_t>(across) * down;
      const std::uint64_t hash = imageHashes[p][image];
      // Held in `fresh` from here on: the vision cache may drop it while this call adds images.
      std::shared_ptr<const std::vector<float>> cached = capture ? nullptr : cachedVisionFeatures(hash);
      if (cached && !fresh.count(hash)) fresh[hash] = std::move(cached);
      if (fresh.count(hash) > 0) {
        visionCacheHits_++;
      } else {
        work.push_back(Work{hash, prompts[p]->tiles + tileIndex * kTileBytes, tiles});
        fresh[hash] = nullptr;  // claimed: a repeat later in this batch is a hit
      }
      tileIndex += tiles;
    }
  }
  // Whole images in batches of at most kVisionBatchTiles tiles: one vision pass each. A pass
  // the device has no memory for is retried with half as many tiles, down to one image.
  std::vector<std::uint8_t> staged;
  std::int64_t batchTiles = kVisionBatchTiles;
  for (std::size_t first = 0; first < work.size();) {
    std::size_t last = first;
    std::int64_t tiles = 0;
    while (last < work.size() && (last == first || tiles + work[last].count <= batchTiles))
      tiles += work[last++].count;
    staged.resize(static_cast<std::size_t>(tiles * kTileBytes));
    std::int64_t offset = 0;
    for (std::size_t i = first; i < last; ++i) {
      std::copy(work[i].tiles, work[i].tiles + work[i].count * kTileBytes,
                staged.begin() + offset * kTileBytes);
      offset += work[i].count;
    }
    std::vector<float> out(static_cast<std::size_t>(tiles * features));
    TileCaptures tileCaptures;
    tileCaptures.wanted = capture && first == 0;
    try {
      backend_->encodeTiles(staged.data(), tiles, out.data(), &tileCaptures);
    } catch (const Error& error) {
      if (error.code() != ErrorCode::kOutOfMemory || last - first == 1) throw;
      batchTiles = std::max<std::int64_t>(1, tiles / 2);
      continue;
    }
    if (tileCaptures.wanted) {
      captures->vision0 = std::move(tileCaptures.vision0);
      captures->projector0 = std::move(tileCaptures.projector0);
    }
    offset = 0;
    for (std::size_t i = first; i < last; ++i) {
      auto image = std::make_shared<std::vector<float>>(out.begin() + offset * features,
                                                        out.begin() + (offset + work[i].count) * features);
      offset += work[i].count;
      fresh[work[i].hash] = image;
      rememberVisionFeatures(work[i].hash, std::move(image));
    }
    first = last;
  }
}

void Model::placeImageFeatures(const PromptInput& prompt, const std::vector<std::uint64_t>& imageHashes,
                               const FeatureMap& fresh, float* embeddings) {
  const std::int64_t hidden = config_.language.hiddenSize;
  const int side = featureSide_;
  std::size_t nextPosition = 0;
  auto emit = [&](const float* row) {
    const std::int32_t position = prompt.imageTokenPositions[nextPosition++];
    std::copy(row, row + hidden, embeddings + position * hidden);
  };
  for (std::size_t image = 0; image < prompt.imagesSpatialCrop.size(); ++image) {
    const auto [across, down] = prompt.imagesSpatialCrop[image];
    const auto found = fresh.find(imageHashes[image]);
    std::shared_ptr<const std::vector<float>> held =
        found != fresh.end() ? found->second : cachedVisionFeatures(imageHashes[image]);
    if (!held) fail(ErrorCode::kInternal, "image features missing after the vision pass");
    const std::vector<float>& features = *held;
    auto feature = [&](std::int64_t tile, int row, int column) {
      return features.data() + ((tile * side + row) * side + column) * hidden;
    };
    for (int r = 0; r < side; ++r) {  // global view: rows with a newline each
      for (int c = 0; c < side; ++c) emit(feature(0, r, c));
      emit(imageNewline_.data());
    }
    emit(viewSeparator_.data());
    for (int R = 0; R < side * down; ++R) {  // local tiles stitched into one grid, row by row
      for (int C = 0; C < side * across; ++C)
        emit(feature(1 + (R / side) * across + C / side, R % side, C % side));
      emit(imageNewline_.data());
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

Model::PendingPrompt Model::claimPrompt(SequenceBlocks& blocks, const PromptInput& prompt,
                                        std::vector<std::uint64_t>& imageHashes) {
  validatePrompt(prompt, blocks.length);
  PendingPrompt pending;
  pending.count = static_cast<std::int64_t>(prompt.inputIds.size());
  imageHashes = imageContentHashes(prompt, kTileBytes, config_);
  pending.blockHashes = promptBlockHashes(prompt, imageHashes, config_);
  // Reuse the cached blocks of a shared prefix; at least the last token is computed, for its logits.
  const std::int64_t shared =
      cacheBlocks_->adoptPrefix(blocks, pending.blockHashes, (pending.count - 1) / kKvBlockTokens);
  pending.next = shared * kKvBlockTokens;
  try {
    reserveOrThrow(blocks, pending.count);
  } catch (...) {
    cacheBlocks_->release(blocks);
    throw;
  }
  return pending;
}

void Model::embedPrompt(const PromptInput& prompt, const std::vector<std::uint64_t>& imageHashes,
                        const FeatureMap& fresh, PendingPrompt& pending) {
  pending.embeddings.resize(static_cast<std::size_t>(pending.count * config_.language.hiddenSize));
  embed(prompt.inputIds.data(), pending.count, pending.embeddings.data());
  if (!prompt.imagesSpatialCrop.empty())
    placeImageFeatures(prompt, imageHashes, fresh, pending.embeddings.data());
}

std::vector<float> Model::prefill(std::int64_t sequence, const PromptInput& prompt,
                                  PromptCaptures* captures) {
  std::lock_guard<std::mutex> lock(mutex_);
  SequenceBlocks& blocks = sequenceOrThrow(sequence);
  if (pending_.count(sequence)) fail(ErrorCode::kInvalidArgument, "prefill needs a fresh sequence");
  std::vector<std::uint64_t> imageHashes;
  PendingPrompt pending = claimPrompt(blocks, prompt, imageHashes);
  FeatureMap fresh;
  try {
    encodeNewImages({&prompt}, {imageHashes}, fresh, captures);
  } catch (...) {
    cacheBlocks_->release(blocks);
    throw;
  }
  embedPrompt(prompt, imageHashes, fresh, pending);
  if (captures && captures->wanted) captures->embeds = pending.embeddings;

  const std::int64_t hidden = config_.language.hiddenSize, start = pending.next, count = pending.count;
  StepBatch batch;
  batch.segments.push_back(BatchSegment{&blocks, start, count - start, 0});
  batch.positions.resize(static_cast<std::size_t>(count - start));
  for (std::int64_t i = start; i < count; ++i) batch.positions[i - start] = static_cast<std::int32_t>(i);
  StepCaptures stepCaptures;
  stepCaptures.hiddenLast = captures && captures->wanted;
  std::vector<float> logits =
      backend_->forward(batch, pending.embeddings.data() + start * hidden, &stepCaptures);
  blocks.length = count;
  cacheBlocks_->registerPrefix(blocks, pending.blockHashes);
  if (captures && captures->wanted) {
    captures->hiddenLast = std::move(stepCaptures.hidden);
    captures->experts = std::move(stepCaptures.experts);
    captures->routerScores = std::move(stepCaptures.routerScores);
  }
  return logits;
}

std::vector<std::exception_ptr> Model::beginPrompts(
    const std::vector<std::pair<std::int64_t, const PromptInput*>>& prompts) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::exception_ptr> errors(prompts.size());
  std::vector<PendingPrompt> claimed(prompts.size());
  std::vector<std::vector<std::uint64_t>> imageHashes(prompts.size());
  std::vector<const PromptInput*> accepted;
  std::vector<std::vector<std::uint64_t>> acceptedHashes;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    try {
      SequenceBlocks& blocks = sequenceOrThrow(prompts[i].first);
      if (pending_.count(prompts[i].first))
        fail(ErrorCode::kInvalidArgument, "the sequence has a prompt already");
      claimed[i] = claimPrompt(blocks, *prompts[i].second, imageHashes[i]);
      accepted.push_back(prompts[i].second);
      acceptedHashes.push_back(imageHashes[i]);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  }
  FeatureMap fresh;
  try {
    encodeNewImages(accepted, acceptedHashes, fresh, nullptr);
  } catch (...) {  // the vision pass failed: every prompt of this batch fails with it
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      if (errors[i]) continue;
      errors[i] = std::current_exception();
      cacheBlocks_->release(sequences_.at(prompts[i].first));
    }
    return errors;
  }
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    if (errors[i]) continue;
    try {
      embedPrompt(*prompts[i].second, imageHashes[i], fresh, claimed[i]);
      pending_[prompts[i].first] = std::move(claimed[i]);
    } catch (...) {
      errors[i] = std::current_exception();
      cacheBlocks_->release(sequences_.at(prompts[i].first));
    }
  }
  return errors;
}

std::int64_t Model::promptTokensLeft(std::int64_t sequence) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = pending_.find(sequence);
  return found == pending_.end() ? 0 : found->second.count - found->second.next;
}

std::vector<TokenChoice> Model::step(const std::vector<PromptChunk>& chunks,
                                     const std::vector<DecodeRequest>& decodes,
                                     const std::vector<ChoiceRequest>& choices) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (choices.size() != chunks.size() + decodes.size())
    fail(ErrorCode::kInternal, "one choice request per chunk and per decode");
  if (chunks.empty() && decodes.empty()) return {};
  const std::int64_t hidden = config_.language.hiddenSize;
  StepBatch batch;
  std::vector<float> x;
  std::vector<std::int64_t> taken;
  for (const PromptChunk& chunk : chunks) {
    const auto found = pending_.find(chunk.sequence);
    if (found == pending_.end())
      fail(ErrorCode::kInvalidArgument,
           "sequence " + std::to_string(chunk.sequence) + " has no prompt to compute");
    PendingPrompt& pending = found->second;
    const std::int64_t n = std::min(chunk.tokens, pending.count - pending.next);
    if (n <= 0) fail(ErrorCode::kInvalidArgument, "a prompt chunk must take at least one token");
    for (const BatchSegment& s : batch.segments) {
      if (s.sequence == &sequences_.at(chunk.sequence))
        fail(ErrorCode::kInvalidArgument, "a sequence appears twice in one step");
    }
    batch.segments.push_back(BatchSegment{&sequences_.at(chunk.sequence), pending.next, n, batch.rows()});
    for (std::int64_t i = 0; i < n; ++i)
      batch.positions.push_back(static_cast<std::int32_t>(pending.next + i));
    x.insert(x.end(), pending.embeddings.begin() + pending.next * hidden,
             pending.embeddings.begin() + (pending.next + n) * hidden);
    taken.push_back(n);
  }
  appendDecodes(decodes, batch, x);
  std::vector<TokenChoice> chosen = backend_->forwardAndChoose(batch, x.data(), choices);
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    PendingPrompt& pending = pending_.at(chunks[c].sequence);
    SequenceBlocks& blocks = sequences_.at(chunks[c].sequence);
    pending.next += taken[c];
    blocks.length = pending.next;
    if (pending.next == pending.count) {
      cacheBlocks_->registerPrefix(blocks, pending.blockHashes);
      pending_.erase(chunks[c].sequence);
    }
  }
  for (std::size_t s = chunks.size(); s < batch.segments.size(); ++s) batch.segments[s].sequence->length += 1;
  return chosen;
}

void Model::appendDecodes(const std::vector<DecodeRequest>& requests, StepBatch& batch,
                          std::vector<float>& x) {
  std::vector<std::int32_t> tokens;
  for (const DecodeRequest& request : requests) {
    SequenceBlocks& blocks = sequenceOrThrow(request.sequence);
    if (blocks.length == 0 || pending_.count(request.sequence))
      fail(ErrorCode::kInvalidArgument,
           "decode before prefill (the prompt is not fully computed) on sequence " +
               std::to_string(request.sequence));
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
      if (s.sequence == &blocks) fail(ErrorCode::kInvalidArgument, "a sequence appears twice in one step");
    }
    reserveOrThrow(blocks, blocks.length + 1);
    batch.segments.push_back(BatchSegment{&blocks, blocks.length, 1, batch.rows()});
    batch.positions.push_back(static_cast<std::int32_t>(blocks.length));
    tokens.push_back(request.token);
  }
  const std::size_t first = x.size();
  x.resize(first + tokens.size() * static_cast<std::size_t>(config_.language.hiddenSize));
  embed(tokens.data(), static_cast<std::int64_t>(tokens.size()), x.data() + first);
}

std::vector<float> Model::decode(const std::vector<DecodeRequest>& requests,
                                 std::vector<std::int32_t>* routedExperts, std::vector<float>* routerScores,
                                 const std::vector<std::int32_t>* routeAs) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (requests.empty()) return {};
  StepBatch batch;
  std::vector<float> x;
  appendDecodes(requests, batch, x);
  StepCaptures captures;
  captures.hiddenLast = routedExperts != nullptr;
  captures.routeAs = routeAs;
  if (routeAs && !routedExperts) fail(ErrorCode::kInvalidArgument, "routeAs needs the routing capture");
  std::vector<float> logits = backend_->forward(batch, x.data(), routedExperts ? &captures : nullptr);
  if (routedExperts) *routedExperts = std::move(captures.experts);
  if (routedExperts && routerScores) *routerScores = std::move(captures.routerScores);
  for (BatchSegment& segment : batch.segments) segment.sequence->length += 1;
  return logits;
}

std::vector<TokenChoice> Model::decodeAndChoose(const std::vector<DecodeRequest>& requests,
                                                const std::vector<ChoiceRequest>& choices) {
  return step({}, requests, choices);
}

}  // namespace vl2
