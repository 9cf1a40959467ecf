// Computes constrained requests' token masks on a thread of its own while the step's forward pass
// runs: the backend waits for them only when it samples, so on a GPU the masks cost nothing unless
// they take longer than the forward. One job at a time; the scheduler waits for it before the
// step ends, so matchers are never touched by both threads at once.
#pragma once

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "grammar/grammar_matcher.h"

namespace vl2 {

class MaskWorker {
 public:
  MaskWorker();
  ~MaskWorker();

  // Starts prepare() on every matcher; the future is ready when all are done.
  std::shared_future<void> start(std::vector<grammar::GrammarMatcher*> matchers);

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<grammar::GrammarMatcher*> job_;
  std::promise<void> done_;
  bool pending_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vl2
