// The generation engine: one native thread that owns the model's step loop.
// Requests queue in (FIFO) and are admitted in groups (their images through one
// vision pass); every step is one forward over a token budget: one token for
// each decoding request, and chunks of admitted prompts in order with what is
// left (chunked prefill: a long prompt never stalls the others' decoding).
// Finished or cancelled requests leave between steps (continuous batching).
// When the KV cache runs out, the newest request is preempted: its blocks are
// freed and it is requeued to be recomputed from its prompt plus the tokens it
// already produced (which are not emitted again).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/errors.h"
#include "engine/mask_worker.h"
#include "engine/sampler.h"
#include "grammar/grammar_matcher.h"
#include "model/model.h"

namespace vl2 {

struct GenerationRequest {
  std::int64_t id = 0;
  std::vector<std::int32_t> inputIds;
  std::vector<std::uint8_t> tiles;  // owned: the request may outlive the JS buffer
  std::vector<std::pair<int, int>> imagesSpatialCrop;
  std::vector<std::int32_t> imageTokenPositions;
  SamplingParams sampling;
  int maxTokens = 512;
  std::vector<std::int32_t> stopTokenIds;
  // A response format: only tokens that keep the text inside this grammar are sampled; EOS and
  // the stop tokens only where it is complete. Null: unconstrained.
  std::shared_ptr<grammar::GrammarStates> grammar;
};

enum class FinishReason { kNone, kStop, kLength, kAbort, kError };

struct TokenEvent {
  std::int64_t requestId = 0;
  std::int32_t token = -1;  // -1: no token (a finish or an error alone)
  float logprob = 0.0f;
  FinishReason finish = FinishReason::kNone;
  ErrorCode errorCode = ErrorCode::kInternal;
  std::string error;
};

struct SchedulerStats {
  std::int64_t preemptions = 0;
  std::int64_t steps = 0;
  std::int64_t maxBatch = 0;      // most decoding requests in one step
  std::int64_t promptChunks = 0;  // prompt pieces computed (a prompt in one piece counts one)
};

// Most tokens (decode rows plus prompt chunks) one forward step computes.
constexpr std::int64_t kDefaultStepTokens = 2048;

class Scheduler {
 public:
  using Emit = std::function<void(std::vector<TokenEvent>&&)>;
  Scheduler(std::shared_ptr<Model> model, Emit emit, std::int64_t stepTokens = kDefaultStepTokens);
  ~Scheduler();  // stops the thread; unfinished requests end with kAbort

  void submit(std::unique_ptr<GenerationRequest> request);
  void cancel(std::int64_t requestId);  // takes effect before the next step
  void stop();
  SchedulerStats stats();

 private:
  struct Running {
    std::unique_ptr<GenerationRequest> request;
    std::unique_ptr<Sampler> sampler;
    std::uint64_t deviceSeed = 0;  // for draws on the GPU
    std::unordered_set<std::int32_t> seen;
    std::vector<std::int32_t> generated;
    std::int64_t sequence = 0;
    std::unique_ptr<grammar::GrammarMatcher> constraint;  // kept through preemption
  };

  void loop();
  // Begins waiting prompts while the prompts in flight are less than two steps' worth.
  void admit(std::vector<TokenEvent>& events);
  // One forward step; false when it could not run (the cache is full and nothing can yield).
  void step(std::vector<TokenEvent>& events);
  // Frees the newest request's blocks and requeues it; false when none may yield.
  bool preemptNewest();
  // masksReady: the step's mask job, which the backend waits on before it samples.
  ChoiceRequest choiceFor(Running& run, const std::shared_future<void>* masksReady);
  // Records a chosen token and its finish, if any.
  void record(Running& run, std::int32_t token, float logprob, std::vector<TokenEvent>& events);
  void release(Running& run);  // frees the sequence's cache blocks
  bool takeCancelled(std::int64_t id);

  std::shared_ptr<Model> model_;
  Emit emit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Running>> waiting_;
  std::vector<std::unique_ptr<Running>> prefilling_;  // prompts begun, not fully computed
  std::vector<std::unique_ptr<Running>> active_;      // decoding
  std::unordered_set<std::int64_t> cancelled_;
  SchedulerStats stats_;
  std::int64_t stepTokens_;
  std::unique_ptr<MaskWorker> masks_;  // started with the first constrained request
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vl2
