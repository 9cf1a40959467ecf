// The compute half of a model, behind which the CPU and CUDA backends sit: encode image
// tiles into projected features, and run one forward step of the decoder over the paged
// KV cache. Everything else (token layout, sequences, prefix and vision caches, block
// allocation, sampling) is the Model's and is shared by both.
//
// The line is drawn at whole passes, not single ops, so that each backend keeps its own
// data where it computes (fp32 host buffers on the CPU, bf16 device buffers on the GPU) and
// a step crosses the host-device boundary twice: embeddings in, logits out.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "backend/sampling.h"
#include "backend/step_batch.h"

namespace vl2 {

// Optional intermediate values, for tests and debugging (golden `hidden_last`).
struct StepCaptures {
  bool hiddenLast = false;
  // [layers + 1, hidden] at the batch's last row; the last row after the final norm
  std::vector<float> hidden;
  // [MoE layers, segments, topK] the routed experts of each segment's last row, ascending per row.
  std::vector<std::int32_t> experts;
  // [MoE layers, segments, routed experts] the router scores top-k ranked for each segment's last
  // row: softmax or sigmoid of the gate's logits, plus e_score_correction_bias under noaux_tc,
  // before any group masking (so two backends' scores compare expert by expert).
  std::vector<float> routerScores;
  // Decode steps on the CPU backend only (the reference following another backend's routing, so
  // a routing flip does not stop a row from being compared): [MoE layers, segments, topK] the
  // experts each segment's row uses. `experts` and `routerScores` still report its own choice.
  const std::vector<std::int32_t>* routeAs = nullptr;
};

struct TileCaptures {
  bool wanted = false;
  std::vector<float> vision0;     // [patches, width] of the first tile
  std::vector<float> projector0;  // [side^2, hidden] of the first tile
};

struct BackendMemory {
  std::string device;  // "cpu" or the GPU's name
  std::uint64_t weightBytes = 0;
  std::uint64_t cacheBytes = 0;
  std::uint64_t activationBytes = 0;  // scratch at its largest so far
  std::uint64_t freeBytes = 0;        // what the device still has (GPU), 0 on the CPU
};

// How to choose one segment's next token. The host draws with `sampler` (its own generator);
// a GPU draws on the device from a hash of (seed, draw), reproducible for a seed. A null
// sampler and params: no token wanted for this segment.
struct ChoiceRequest {
  HostSampler* sampler = nullptr;
  const SamplingParams* params = nullptr;
  std::uint64_t seed = 0;
  std::uint64_t draw = 0;  // tokens this request has drawn before
  const std::unordered_set<std::int32_t>* seen = nullptr;
  // A response format's allowed tokens: bitmask [ceil(vocab / 32)], bit t set when token t may
  // come next; the others are masked out before every other filter. Null: any token.
  const std::uint32_t* allowed = nullptr;
  // Set while `allowed` is still being computed beside the forward pass (engine/mask_worker.h):
  // wait on it before reading `allowed`.
  const std::shared_future<void>* allowedReady = nullptr;
};

struct TokenChoice {
  std::int32_t token = 0;
  float logprob = 0.0f;  // under the distribution drawn from, after every filter
};

class ModelBackend {
 public:
  virtual ~ModelBackend() = default;
  virtual const char* name() const = 0;

  // Creates (or replaces) the storage of a KV cache of `blocks` blocks, which the Model's
  // block tables index. cacheBlocksFor() says how many blocks a budget allows.
  virtual void createCache(std::int64_t blocks) = 0;
  // What one cached token takes in that storage, every layer included.
  virtual std::int64_t cacheBytesPerToken() const = 0;
  // Blocks fitting `fraction` of the device memory still free (CUDA); 0 where not applicable.
  virtual std::int64_t cacheBlocksFor(double fraction) const = 0;

  // tiles: [count][384][384][3] uint8 -> out: [count, side^2, hidden] fp32 (host).
  virtual void encodeTiles(const std::uint8_t* tiles, std::int64_t count, float* out,
                           TileCaptures* firstTile) = 0;
  // x: [rows, hidden] fp32 input embeddings (host). Writes the step's cache entries and
  // returns the logits of each segment's last row: [segments, vocab].
  virtual std::vector<float> forward(const StepBatch& batch, const float* x, StepCaptures* captures) = 0;
  // The same step, then each segment's next token chosen where its logits are; by default on
  // the host with each request's sampler.
  virtual std::vector<TokenChoice> forwardAndChoose(const StepBatch& batch, const float* x,
                                                    const std::vector<ChoiceRequest>& choices);

  virtual BackendMemory memory() const = 0;
};

}  // namespace vl2
