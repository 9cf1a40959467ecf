// A fixed pool of worker threads for data-parallel loops. The calling thread
// takes part, so a pool of N threads uses N cores including the caller.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vl2 {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads <= 0: all hardware threads
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs body(begin, end) over [0, count) split into contiguous chunks of at
  // least minChunk items, one chunk list shared by all threads; returns when
  // every chunk is done. Not reentrant: one parallelFor at a time per pool.
  void parallelFor(std::int64_t count, std::int64_t minChunk,
                   const std::function<void(std::int64_t, std::int64_t)>& body);

 private:
  void workerLoop();
  void runChunks();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(std::int64_t, std::int64_t)>* body_ = nullptr;
  std::int64_t count_ = 0;
  std::int64_t chunk_ = 1;
  std::int64_t next_ = 0;
  int active_ = 0;
  std::uint64_t generation_ = 0;
  bool stopping_ = false;
};

}  // namespace vl2
