// The worker pool that image preprocessing shares. Unlike core/thread_pool.h (one parallelFor at a
// time, the engine's), many images run at once here. Whole image tasks (a decode, a tiling) are posted
// to it and run on its workers, never on libuv's threads: the host process's pool keeps its size and
// its priority, and UV_THREADPOOL_SIZE does not cap how many images are in flight. A task's loops are
// run by the worker that runs the task (the caller), and idle workers join whichever loops are open. A
// caller never waits for a thread that has not started its chunks, so the pool cannot deadlock however
// many images are in flight. A loop is split only while some worker is idle: with every worker busy on
// other images, the caller runs its rows alone rather than wait on chunks a busy thread took. Workers
// run at the image work priority (work_priority.h), as do the callers: a caller waits for the chunks
// other threads claimed, so workers below their callers would stall every image (measured: with nice 10
// workers and nice 0 callers, 4 images in flight ran no faster than 1).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace vl2::image {

class ImagePool {
 public:
  explicit ImagePool(int threads);
  ~ImagePool();
  ImagePool(const ImagePool&) = delete;
  ImagePool& operator=(const ImagePool&) = delete;

  // Grows or shrinks the pool; a thread that leaves finishes the chunk it holds first.
  void resize(int threads);

  // Queues a whole task for a worker; workers take open loops' chunks before new tasks, so images
  // already started finish first. task must not throw.
  void post(std::function<void()> task);

  // Runs body(begin, end) over [0, count) in chunks of `chunk` items; returns when all are done.
  // Safe to call from many threads at once. body must not throw (a worker has no caller to rethrow to).
  void parallelFor(std::int64_t count, std::int64_t chunk,
                   const std::function<void(std::int64_t, std::int64_t)>& body);

 private:
  struct Loop;
  void workerLoop(int index);
  static bool runChunk(Loop& loop);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Loop>> open_;   // loops with chunks nobody has claimed yet
  std::deque<std::function<void()>> tasks_;  // posted tasks no worker has started
  int target_ = 0;                           // threads with an index below this keep running
  int idle_ = 0;                             // workers waiting for a loop
};

// The process-wide pool, started on first use. Its default size is one thread per core (below the JS
// thread's priority); setImagePoolThreads(0) returns to it. Its size is also how many image tasks run
// at once.
ImagePool& imagePool();
int imagePoolThreads();
void setImagePoolThreads(int threads);

}  // namespace vl2::image
