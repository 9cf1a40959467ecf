#include "core/thread_pool.h"

#include <algorithm>

namespace vl2 {

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::runChunks() {
  for (;;) {
    std::int64_t begin;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_ >= count_) return;
      begin = next_;
      next_ = std::min(count_, next_ + chunk_);
    }
    (*body_)(begin, std::min(count_, begin + chunk_));
  }
}

void ThreadPool::workerLoop() {
  std::uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      ++active_;
    }
    runChunks();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_ == 0) done_.notify_all();
    }
  }
}

void ThreadPool::parallelFor(std::int64_t count, std::int64_t minChunk,
                             const std::function<void(std::int64_t, std::int64_t)>& body) {
  if (count <= 0) return;
  minChunk = std::max<std::int64_t>(1, minChunk);
  // About four chunks per thread balances uneven chunks without much locking.
  std::int64_t chunk = std::max(minChunk, (count + size() * 4 - 1) / (size() * 4));
  if (workers_.empty() || chunk >= count) {
    body(0, count);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    count_ = count;
    chunk_ = chunk;
    next_ = 0;
    ++generation_;
  }
  wake_.notify_all();
  runChunks();
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return active_ == 0 && next_ >= count_; });
  body_ = nullptr;
}

}  // namespace vl2
