#include "engine/scheduler.h"

#include <algorithm>
#include <random>

namespace vl2 {
namespace {

// An event that ends a request without a token: an abort, or an error with its code.
TokenEvent finishEvent(std::int64_t requestId, FinishReason reason, const Error* error = nullptr) {
  TokenEvent event;
  event.requestId = requestId;
  event.finish = reason;
  if (error) {
    event.errorCode = error->code();
    event.error = error->what();
  }
  return event;
}

}  // namespace

Scheduler::Scheduler(std::shared_ptr<Model> model, Emit emit)
    : model_(std::move(model)), emit_(std::move(emit)) {
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::submit(std::unique_ptr<GenerationRequest> request) {
  validateSampling(request->sampling);
  if (request->maxTokens < 1) fail(ErrorCode::kInvalidArgument, "maxTokens must be at least 1");
  auto run = std::make_unique<Running>();
  run->seen.insert(request->inputIds.begin(), request->inputIds.end());
  run->sampler = std::make_unique<Sampler>(request->sampling);
  run->deviceSeed = request->sampling.seeded ? request->sampling.seed : std::random_device{}();
  run->request = std::move(request);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) fail(ErrorCode::kAborted, "the model is closed");
    waiting_.push_back(std::move(run));
  }
  wake_.notify_all();
}

void Scheduler::cancel(std::int64_t requestId) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_.insert(requestId);
  }
  wake_.notify_all();
}

SchedulerStats Scheduler::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

bool Scheduler::takeCancelled(std::int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_.erase(id) > 0;
}

void Scheduler::release(Running& run) {
  if (run.sequence) model_->freeSequence(run.sequence);
  run.sequence = 0;
}

void Scheduler::accept(Running& run, float* logits, std::vector<TokenEvent>& events) {
  const std::int32_t token = run.sampler->sample(logits, model_->config().language.vocabSize, run.seen);
  record(run, token, run.sampler->lastLogprob(), events);
}

void Scheduler::record(Running& run, std::int32_t token, float logprob, std::vector<TokenEvent>& events) {
  const GenerationRequest& request = *run.request;
  run.seen.insert(token);
  run.generated.push_back(token);
  TokenEvent event;
  event.requestId = request.id;
  event.token = token;
  event.logprob = logprob;
  const bool stopToken = token == model_->config().language.eosTokenId ||
                         std::find(request.stopTokenIds.begin(), request.stopTokenIds.end(), token) !=
                             request.stopTokenIds.end();
  const bool atContext = model_->sequenceLength(run.sequence) + 1 >= model_->config().language.maxPositions;
  if (stopToken) {
    event.finish = FinishReason::kStop;
  } else if (static_cast<int>(run.generated.size()) >= request.maxTokens || atContext) {
    event.finish = FinishReason::kLength;
  }
  events.push_back(std::move(event));
}

// Prefills a waiting request; false when the cache cannot hold it now (retry later).
bool Scheduler::admit(Running& run, std::vector<TokenEvent>& events) {
  GenerationRequest& request = *run.request;
  PromptInput prompt;
  prompt.inputIds = request.inputIds;
  // A preempted request is recomputed from its prompt plus what it already produced.
  prompt.inputIds.insert(prompt.inputIds.end(), run.generated.begin(), run.generated.end());
  prompt.tiles = request.tiles.data();
  prompt.tileBytes = static_cast<std::int64_t>(request.tiles.size());
  prompt.imagesSpatialCrop = request.imagesSpatialCrop;
  prompt.imageTokenPositions = request.imageTokenPositions;
  run.sequence = model_->createSequence();
  try {
    std::vector<float> logits = model_->prefill(run.sequence, prompt, nullptr);
    // For a recomputed request these logits choose its next token, as the lost step would have.
    accept(run, logits.data(), events);
    return true;
  } catch (const Error& error) {
    model_->freeSequence(run.sequence);
    run.sequence = 0;
    if (error.code() == ErrorCode::kOutOfMemory && !active_.empty()) return false;  // wait for blocks
    events.push_back(finishEvent(request.id, FinishReason::kError, &error));
    return true;
  }
}

void Scheduler::decodeStep(std::vector<TokenEvent>& events) {
  for (;;) {
    std::vector<DecodeRequest> batch;
    std::vector<ChoiceRequest> choices;
    for (const auto& run : active_) {
      batch.push_back(DecodeRequest{run->sequence, run->generated.back()});
      choices.push_back(ChoiceRequest{run->sampler.get(), &run->request->sampling, run->deviceSeed,
                                      static_cast<std::uint64_t>(run->generated.size()), &run->seen});
    }
    if (batch.empty()) return;
    try {
      const std::vector<TokenChoice> chosen = model_->decodeAndChoose(batch, choices);
      for (std::size_t i = 0; i < active_.size(); ++i)
        record(*active_[i], chosen[i].token, chosen[i].logprob, events);
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.steps++;
      stats_.maxBatch = std::max<std::int64_t>(stats_.maxBatch, static_cast<std::int64_t>(batch.size()));
      return;
    } catch (const Error& error) {
      if (error.code() != ErrorCode::kOutOfMemory || active_.size() < 2) throw;
      // Preempt the newest request: free its blocks and recompute it later.
      std::unique_ptr<Running> victim = std::move(active_.back());
      active_.pop_back();
      release(*victim);
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.preemptions++;
      waiting_.push_front(std::move(victim));
    }
  }
}

void Scheduler::loop() {
  for (;;) {
    std::vector<TokenEvent> events;
    std::deque<std::unique_ptr<Running>> admitted;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !waiting_.empty() || !active_.empty(); });
      if (stopping_) break;
    }
    // Cancelled requests leave before any work is done for them.
    auto dropCancelled = [&](std::unique_ptr<Running>& run) {
      if (!run || !takeCancelled(run->request->id)) return false;
      release(*run);
      events.push_back(finishEvent(run->request->id, FinishReason::kAbort));
      return true;
    };
    active_.erase(std::remove_if(active_.begin(), active_.end(), dropCancelled), active_.end());
    // Admit waiting requests in order while the cache has room.
    for (;;) {
      std::unique_ptr<Running> next;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (waiting_.empty()) break;
        next = std::move(waiting_.front());
        waiting_.pop_front();
      }
      if (dropCancelled(next)) continue;
      const std::size_t before = events.size();
      if (!admit(*next, events)) {
        std::lock_guard<std::mutex> lock(mutex_);
        waiting_.push_front(std::move(next));
        break;
      }
      const bool done = events.size() > before && events.back().finish != FinishReason::kNone;
      if (done) {
        release(*next);
      } else {
        active_.push_back(std::move(next));
      }
    }
    try {
      decodeStep(events);
    } catch (const Error& error) {
      for (auto& run : active_) {
        events.push_back(finishEvent(run->request->id, FinishReason::kError, &error));
        release(*run);
      }
      active_.clear();
    }
    // Requests whose last token finished them leave now.
    active_.erase(std::remove_if(active_.begin(), active_.end(),
                                 [&](std::unique_ptr<Running>& run) {
                                   for (auto it = events.rbegin(); it != events.rend(); ++it) {
                                     if (it->requestId != run->request->id) continue;
                                     if (it->finish == FinishReason::kNone) return false;
                                     release(*run);
                                     return true;
                                   }
                                   return false;
                                 }),
                  active_.end());
    if (!events.empty()) emit_(std::move(events));
  }
  // Closing: everything still running or waiting ends as aborted.
  std::vector<TokenEvent> events;
  for (auto& run : active_) {
    release(*run);
    events.push_back(finishEvent(run->request->id, FinishReason::kAbort));
  }
  active_.clear();
  for (auto& run : waiting_) events.push_back(finishEvent(run->request->id, FinishReason::kAbort));
  waiting_.clear();
  if (!events.empty()) emit_(std::move(events));
}

}  // namespace vl2
