#include "engine/mask_worker.h"

namespace vl2 {

MaskWorker::MaskWorker() : thread_([this] { loop(); }) {}

MaskWorker::~MaskWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_future<void> MaskWorker::start(std::vector<grammar::GrammarMatcher*> matchers) {
  std::lock_guard<std::mutex> lock(mutex_);
  job_ = std::move(matchers);
  done_ = std::promise<void>();
  std::shared_future<void> ready = done_.get_future().share();
  pending_ = true;
  wake_.notify_all();
  return ready;
}

void MaskWorker::loop() {
  for (;;) {
    std::vector<grammar::GrammarMatcher*> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || pending_; });
      if (stopping_ && !pending_) return;
      job = std::move(job_);
      pending_ = false;
    }
    for (grammar::GrammarMatcher* matcher : job) matcher->prepare();  // noexcept
    std::lock_guard<std::mutex> lock(mutex_);
    done_.set_value();
  }
}

}  // namespace vl2
