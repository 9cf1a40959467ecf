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

Scheduler::Scheduler(std::shared_ptr<Model> model, Emit emit, std::int64_t stepTokens)
    : model_(std::move(model)), emit_(std::move(emit)), stepTokens_(stepTokens) {
  if (stepTokens < 1) fail(ErrorCode::kInvalidArgument, "stepTokens must be at least 1");
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
  if (request->grammar) {
    if (request->grammar->vocabulary().size() != model_->config().language.vocabSize)
      fail(ErrorCode::kInvalidArgument, "the response format was compiled for a vocabulary of " +
                                            std::to_string(request->grammar->vocabulary().size()) +
                                            " tokens; this model has " +
                                            std::to_string(model_->config().language.vocabSize));
    std::vector<std::int32_t> ends = request->stopTokenIds;
    ends.push_back(static_cast<std::int32_t>(model_->config().language.eosTokenId));
    run->constraint = std::make_unique<grammar::GrammarMatcher>(request->grammar, std::move(ends));
  }
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

void Scheduler::record(Running& run, std::int32_t token, float logprob, std::vector<TokenEvent>& events) {
  const GenerationRequest& request = *run.request;
  if (run.constraint) {
    try {
      if (const Error* failure = run.constraint->failure()) throw *failure;
      run.constraint->accept(token);
    } catch (const Error& error) {
      events.push_back(finishEvent(request.id, FinishReason::kError, &error));
      return;
    }
  }
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

ChoiceRequest Scheduler::choiceFor(Running& run, const std::shared_future<void>* masksReady) {
  ChoiceRequest choice{run.sampler.get(), &run.request->sampling, run.deviceSeed,
                       static_cast<std::uint64_t>(run.generated.size()), &run.seen};
  if (run.constraint) {
    choice.allowed = run.constraint->mask();
    choice.allowedReady = masksReady;
  }
  return choice;
}

void Scheduler::admit(std::vector<TokenEvent>& events) {
  std::int64_t inFlight = 0;
  for (const auto& run : prefilling_) inFlight += model_->promptTokensLeft(run->sequence);
  std::vector<std::unique_ptr<Running>> group;
  std::vector<PromptInput> prompts;
  while (inFlight < 2 * stepTokens_ || (prefilling_.empty() && group.empty())) {
    std::unique_ptr<Running> next;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (waiting_.empty()) break;
      next = std::move(waiting_.front());
      waiting_.pop_front();
    }
    if (takeCancelled(next->request->id)) {
      events.push_back(finishEvent(next->request->id, FinishReason::kAbort));
      continue;
    }
    const GenerationRequest& request = *next->request;
    PromptInput prompt;
    prompt.inputIds = request.inputIds;
    // A preempted request is recomputed from its prompt plus what it already produced.
    prompt.inputIds.insert(prompt.inputIds.end(), next->generated.begin(), next->generated.end());
    prompt.tiles = request.tiles.data();
    prompt.tileBytes = static_cast<std::int64_t>(request.tiles.size());
    prompt.imagesSpatialCrop = request.imagesSpatialCrop;
    prompt.imageTokenPositions = request.imageTokenPositions;
    inFlight += static_cast<std::int64_t>(prompt.inputIds.size());
    next->sequence = model_->createSequence();
    prompts.push_back(std::move(prompt));
    group.push_back(std::move(next));
  }
  if (group.empty()) return;
  std::vector<std::pair<std::int64_t, const PromptInput*>> begin;
  for (std::size_t i = 0; i < group.size(); ++i) begin.emplace_back(group[i]->sequence, &prompts[i]);
  const std::vector<std::exception_ptr> errors = model_->beginPrompts(begin);
  std::vector<std::unique_ptr<Running>> retry;  // refused for want of cache blocks: wait for some
  for (std::size_t i = 0; i < group.size(); ++i) {
    std::unique_ptr<Running>& run = group[i];
    if (!errors[i]) {
      prefilling_.push_back(std::move(run));
      continue;
    }
    release(*run);
    try {
      std::rethrow_exception(errors[i]);
    } catch (const CacheFullError& error) {  // blocks come free as others finish: wait for them
      if (!active_.empty() || !prefilling_.empty()) {
        retry.push_back(std::move(run));
      } else {
        events.push_back(finishEvent(run->request->id, FinishReason::kError, &error));
      }
    } catch (const Error& error) {
      events.push_back(finishEvent(run->request->id, FinishReason::kError, &error));
    } catch (const std::exception& other) {
      const Error error(ErrorCode::kInternal, other.what());
      events.push_back(finishEvent(run->request->id, FinishReason::kError, &error));
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = retry.rbegin(); it != retry.rend(); ++it) waiting_.push_front(std::move(*it));
}

bool Scheduler::preemptNewest() {
  std::vector<std::unique_ptr<Running>>* from = nullptr;
  if (active_.size() >= 2 || (!active_.empty() && !prefilling_.empty())) {
    from = &active_;
  } else if (prefilling_.size() >= 2 || (!prefilling_.empty() && !active_.empty())) {
    from = &prefilling_;
  }
  if (from == nullptr) return false;
  std::unique_ptr<Running> victim = std::move(from->back());
  from->pop_back();
  release(*victim);
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.preemptions++;
  waiting_.push_front(std::move(victim));
  return true;
}

void Scheduler::step(std::vector<TokenEvent>& events) {
  // Constrained requests' masks, computed on the mask worker while the forward pass runs.
  std::vector<grammar::GrammarMatcher*> constrained;
  for (const auto* group : {&prefilling_, &active_})
    for (const auto& run : *group)
      if (run->constraint) constrained.push_back(run->constraint.get());
  std::shared_future<void> masksReady;
  if (!constrained.empty()) {
    if (!masks_) masks_ = std::make_unique<MaskWorker>();
    masksReady = masks_->start(std::move(constrained));
  }
  // However the step ends, the job is over before the matchers are touched again.
  struct AwaitMasks {
    std::shared_future<void>& ready;
    ~AwaitMasks() {
      if (ready.valid()) ready.wait();
    }
  } awaitMasks{masksReady};
  const std::shared_future<void>* ready = masksReady.valid() ? &masksReady : nullptr;
  for (;;) {
    std::vector<DecodeRequest> decodes;
    std::vector<PromptChunk> chunks;
    std::vector<ChoiceRequest> choices;
    std::vector<bool> ends;  // per chunk: it computes the rest of its prompt
    std::int64_t budget = std::max<std::int64_t>(stepTokens_ - static_cast<std::int64_t>(active_.size()), 1);
    for (const auto& run : prefilling_) {
      if (budget <= 0) break;
      const std::int64_t left = model_->promptTokensLeft(run->sequence);
      const std::int64_t take = std::min(left, budget);
      budget -= take;
      chunks.push_back(PromptChunk{run->sequence, take});
      ends.push_back(take == left);
      choices.push_back(take == left ? choiceFor(*run, ready) : ChoiceRequest{});
    }
    for (const auto& run : active_) {
      decodes.push_back(DecodeRequest{run->sequence, run->generated.back()});
      choices.push_back(choiceFor(*run, ready));
    }
    if (chunks.empty() && decodes.empty()) return;
    try {
      const std::vector<TokenChoice> chosen = model_->step(chunks, decodes, choices);
      if (masksReady.valid()) masksReady.wait();  // recording moves the matchers on
      for (std::size_t i = 0; i < active_.size(); ++i) {
        const TokenChoice& choice = chosen[chunks.size() + i];
        record(*active_[i], choice.token, choice.logprob, events);
      }
      // Prompts computed to their end produced their first token and decode from the next step.
      std::vector<std::unique_ptr<Running>> stillPrefilling;
      for (std::size_t i = 0; i < prefilling_.size(); ++i) {
        if (i < chunks.size() && ends[i]) {
          record(*prefilling_[i], chosen[i].token, chosen[i].logprob, events);
          active_.push_back(std::move(prefilling_[i]));
        } else {
          stillPrefilling.push_back(std::move(prefilling_[i]));
        }
      }
      prefilling_ = std::move(stillPrefilling);
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.steps++;
      stats_.promptChunks += static_cast<std::int64_t>(chunks.size());
      stats_.maxBatch = std::max<std::int64_t>(stats_.maxBatch, static_cast<std::int64_t>(decodes.size()));
      return;
    } catch (const CacheFullError&) {  // only the cache's own exhaustion is cured by preempting
      if (!preemptNewest()) throw;
    }
  }
}

void Scheduler::loop() {
  for (;;) {
    std::vector<TokenEvent> events;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock,
                 [&] { return stopping_ || !waiting_.empty() || !active_.empty() || !prefilling_.empty(); });
      if (stopping_) break;
    }
    // Cancelled requests leave before any more work is done for them.
    auto dropCancelled = [&](std::unique_ptr<Running>& run) {
      if (!takeCancelled(run->request->id)) return false;
      release(*run);
      events.push_back(finishEvent(run->request->id, FinishReason::kAbort));
      return true;
    };
    active_.erase(std::remove_if(active_.begin(), active_.end(), dropCancelled), active_.end());
    prefilling_.erase(std::remove_if(prefilling_.begin(), prefilling_.end(), dropCancelled),
                      prefilling_.end());
    // Nothing thrown here may leave the thread (it would end the process): a failure ends the
    // requests it concerns with an error event.
    auto failAll = [&](const Error& error) {
      for (auto* group : {&active_, &prefilling_}) {
        for (auto& run : *group) {
          events.push_back(finishEvent(run->request->id, FinishReason::kError, &error));
          release(*run);
        }
        group->clear();
      }
    };
    try {
      admit(events);
      step(events);
    } catch (const Error& error) {
      failAll(error);
    } catch (const std::exception& other) {
      failAll(Error(ErrorCode::kInternal, other.what()));
    } catch (...) {
      failAll(Error(ErrorCode::kInternal, "unknown failure in the scheduler"));
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
  for (auto* group : {&active_, &prefilling_}) {
    for (auto& run : *group) {
      release(*run);
      events.push_back(finishEvent(run->request->id, FinishReason::kAbort));
    }
    group->clear();
  }
  for (auto& run : waiting_) events.push_back(finishEvent(run->request->id, FinishReason::kAbort));
  waiting_.clear();
  if (!events.empty()) emit_(std::move(events));
}

}  // namespace vl2
