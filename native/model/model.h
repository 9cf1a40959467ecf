// A loaded DeepSeek-VL2 model: vision tower, projector, language model, the
// paged KV cache and the sequences living in it. The entry point for the N-API
// layer and for the generation engine.
//
// Threading: every public method may be called from any thread; calls are
// serialised (one forward at a time uses the whole thread pool). Batching many
// sequences into one step() is how throughput scales, not concurrent calls.
#pragma once

#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "backend/backend_factory.h"
#include "core/model_config.h"
#include "core/weight_store.h"
#include "model/kv_block_allocator.h"

namespace vl2 {

struct ModelOptions {
  BackendChoice backend;            // the device and its backend's knobs (backend_factory.h)
  std::int64_t cacheTokens = 8192;  // KV cache capacity, rounded up to whole blocks
  // CUDA: when above 0, the cache takes this fraction of the GPU memory left free after
  // the weights and a reserve for activations, instead of cacheTokens.
  double cacheMemoryFraction = 0;
};

// One prompt: token ids with `<image>` placeholders, and the images' tiles.
struct PromptInput {
  std::vector<std::int32_t> inputIds;
  const std::uint8_t* tiles = nullptr;  // [tiles][384][384][3], global view first per image
  std::int64_t tileBytes = 0;
  std::vector<std::pair<int, int>> imagesSpatialCrop;  // per image: tiles across, tiles down
  std::vector<std::int32_t> imageTokenPositions;       // ascending; one per image feature row
};

struct PromptCaptures {
  bool wanted = false;
  std::vector<float> embeds;          // [seq, hidden]
  std::vector<float> vision0;         // [patches, width] of the first tile
  std::vector<float> projector0;      // [196, hidden] of the first tile
  std::vector<float> hiddenLast;      // [layers + 1, hidden]
  std::vector<std::int32_t> experts;  // [MoE layers, topK] the last position's routed experts, ascending
  std::vector<float> routerScores;    // [MoE layers, routed experts] the scores top-k ranked there
};

struct DecodeRequest {
  std::int64_t sequence;
  std::int32_t token;
};

// The next `tokens` positions of a begun prompt (fewer if fewer are left).
struct PromptChunk {
  std::int64_t sequence;
  std::int64_t tokens;
};

class Model {
 public:
  Model(std::unique_ptr<WeightStore> store, const ModelConfig& config, const ModelOptions& options);

  const ModelConfig& config() const { return config_; }
  std::int64_t cacheCapacityTokens() const { return cacheBlocks_->capacityTokens(); }
  std::int64_t cacheBytesPerToken() const { return backend_->cacheBytesPerToken(); }
  std::int64_t freeCacheTokens();
  // Prompt blocks taken from the prefix cache, and images whose vision features were reused.
  std::int64_t prefixHitBlocks();
  std::int64_t visionCacheHits();
  std::uint64_t mappedBytes() const { return store_->mappedBytes(); }
  const char* backendName() const { return backend_->name(); }
  CpuPrecision cpuPrecision() const { return backendChoice_.cpuPrecision; }
  BackendMemory memory() const { return backend_->memory(); }
  const WeightStore& weights() const { return *store_; }

  // Throws the error prefill() would throw for this prompt, without running it.
  void validate(const PromptInput& prompt) const { validatePrompt(prompt, 0); }

  std::int64_t createSequence();
  void freeSequence(std::int64_t sequence);  // unknown ids are ignored
  std::int64_t sequenceLength(std::int64_t sequence);

  // Runs the prompt into an empty sequence; returns the last position's logits [vocab].
  std::vector<float> prefill(std::int64_t sequence, const PromptInput& prompt, PromptCaptures* captures);
  // One token for each of several sequences in one batched step; logits [requests, vocab].
  // routedExperts (optional): [MoE layers, requests, topK] the experts each request's token went to;
  // routerScores (optional, with routedExperts): [MoE layers, requests, routed experts] the scores
  // top-k ranked for each token (StepCaptures::routerScores). routeAs (optional, with
  // routedExperts; CPU backend only): [MoE layers, requests, topK] the experts to use instead of
  // the router's own choice, which routedExperts still reports (StepCaptures::routeAs).
  std::vector<float> decode(const std::vector<DecodeRequest>& requests,
                            std::vector<std::int32_t>* routedExperts = nullptr,
                            std::vector<float>* routerScores = nullptr,
                            const std::vector<std::int32_t>* routeAs = nullptr);
  // The same step, each sequence's next token chosen by the backend where the logits are.
  std::vector<TokenChoice> decodeAndChoose(const std::vector<DecodeRequest>& requests,
                                           const std::vector<ChoiceRequest>& choices);

  // Chunked prefill. beginPrompts() starts prompts on fresh sequences: validates each, takes
  // its cached prefix blocks and reserves the rest (so a begun prompt never runs out of cache),
  // runs the vision tower once over every new image of them all, and embeds them. Per prompt:
  // null, or the error that refused it (the others go on).
  std::vector<std::exception_ptr> beginPrompts(
      const std::vector<std::pair<std::int64_t, const PromptInput*>>& prompts);
  std::int64_t promptTokensLeft(std::int64_t sequence);  // 0 once computed (or never begun)
  // One forward step over prompt chunks and decode tokens together: choices holds one request
  // per chunk, then one per decode; the chunk's is used only when the chunk ends its prompt
  // (a null sampler there: no token wanted).
  std::vector<TokenChoice> step(const std::vector<PromptChunk>& chunks,
                                const std::vector<DecodeRequest>& decodes,
                                const std::vector<ChoiceRequest>& choices);

 private:
  SequenceBlocks& sequenceOrThrow(std::int64_t sequence);
  void validatePrompt(const PromptInput& prompt, std::int64_t alreadyCached) const;
  // A prompt whose cache blocks are held and whose embeddings wait to be computed.
  struct PendingPrompt {
    std::vector<float> embeddings;  // [count, hidden]
    std::vector<std::uint64_t> blockHashes;
    std::int64_t count = 0;
    std::int64_t next = 0;  // first position not computed yet
  };
  using FeatureMap = std::unordered_map<std::uint64_t, std::shared_ptr<const std::vector<float>>>;

  PendingPrompt claimPrompt(SequenceBlocks& blocks, const PromptInput& prompt,
                            std::vector<std::uint64_t>& imageHashes);
  // Projected features of every image of the prompts that no cache holds, in passes of at most
  // kVisionBatchTiles tiles; `fresh` gets them by content hash. Captures force a recompute.
  void encodeNewImages(const std::vector<const PromptInput*>& prompts,
                       const std::vector<std::vector<std::uint64_t>>& imageHashes, FeatureMap& fresh,
                       PromptCaptures* captures);
  void embedPrompt(const PromptInput& prompt, const std::vector<std::uint64_t>& imageHashes,
                   const FeatureMap& fresh, PendingPrompt& pending);
  void placeImageFeatures(const PromptInput& prompt, const std::vector<std::uint64_t>& imageHashes,
                          const FeatureMap& fresh, float* embeddings);
  std::shared_ptr<const std::vector<float>> cachedVisionFeatures(std::uint64_t imageHash);
  void rememberVisionFeatures(std::uint64_t imageHash, std::shared_ptr<const std::vector<float>> features);
  void reserveOrThrow(SequenceBlocks& blocks, std::int64_t tokens);
  // Validates decode requests, reserves their cache slots, appends their segments to the
  // batch and their embeddings to x.
  void appendDecodes(const std::vector<DecodeRequest>& requests, StepBatch& batch, std::vector<float>& x);
  // rows: [count, hidden] fp32 embedding rows of the ids (ids already validated).
  void embed(const std::int32_t* ids, std::int64_t count, float* rows) const;

  ModelConfig config_;
  std::unique_ptr<WeightStore> store_;
  std::unique_ptr<ModelBackend> backend_;
  BackendChoice backendChoice_;
  const std::uint16_t* embeddings_ = nullptr;  // [vocab, hidden] bf16, in the mapped checkpoint
  int featureSide_ = 0;                        // projected features per tile row and column (14)
  std::vector<float> imageNewline_;            // [hidden], placed after each row of image features
  std::vector<float> viewSeparator_;           // [hidden], between the global view and the local tiles
  std::unique_ptr<KvBlockAllocator> cacheBlocks_;
  std::unordered_map<std::int64_t, SequenceBlocks> sequences_;
  std::unordered_map<std::int64_t, PendingPrompt> pending_;
  std::int64_t nextSequence_ = 1;
  // Projected features of recent images, by content: a repeated image skips the vision tower.
  static constexpr std::size_t kVisionCacheImages = 16;
  // Tiles one vision pass takes at most (activation memory grows with it).
  static constexpr std::int64_t kVisionBatchTiles = 64;
  std::deque<std::pair<std::uint64_t, std::shared_ptr<const std::vector<float>>>> visionCache_;
  std::int64_t visionCacheHits_ = 0;
  std::mutex mutex_;
};

}  // namespace vl2
