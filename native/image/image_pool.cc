#include "image/image_pool.h"

#include <algorithm>
#include <atomic>

#include "image/work_priority.h"

namespace vl2::image {

struct ImagePool::Loop {
  const std::function<void(std::int64_t, std::int64_t)>* body;
  std::int64_t count;
  std::int64_t chunk;
  std::atomic<std::int64_t> next{0};
  std::mutex mutex;
  std::condition_variable finished;
  std::int64_t running = 0;  // chunks claimed and not yet done (under mutex)
};

ImagePool::ImagePool(int threads) { resize(threads); }

ImagePool::~ImagePool() { resize(0); }

void ImagePool::resize(int threads) {
  std::vector<std::thread> leaving;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    target_ = std::max(0, threads);
    while (static_cast<int>(workers_.size()) < target_) {
      const int index = static_cast<int>(workers_.size());
      workers_.emplace_back([this, index] { workerLoop(index); });
    }
    while (static_cast<int>(workers_.size()) > target_) {
      leaving.push_back(std::move(workers_.back()));
      workers_.pop_back();
    }
  }
  wake_.notify_all();
  for (std::thread& t : leaving) t.join();
}

// Claims and runs one chunk; false when none is left to claim.
bool ImagePool::runChunk(Loop& loop) {
  {
    std::lock_guard<std::mutex> lock(loop.mutex);
    if (loop.next.load() >= loop.count) return false;
    ++loop.running;
  }
  const std::int64_t begin = loop.next.fetch_add(loop.chunk);
  if (begin < loop.count) (*loop.body)(begin, std::min(loop.count, begin + loop.chunk));
  std::lock_guard<std::mutex> lock(loop.mutex);
  if (--loop.running == 0) loop.finished.notify_all();
  return begin < loop.count;
}

void ImagePool::parallelFor(std::int64_t count, std::int64_t chunk,
                            const std::function<void(std::int64_t, std::int64_t)>& body) {
  if (count <= 0) return;
  chunk = std::max<std::int64_t>(1, chunk);
  if (count <= chunk) {
    body(0, count);
    return;
  }
  auto loop = std::make_shared<Loop>();
  loop->body = &body;
  loop->count = count;
  loop->chunk = chunk;
  bool split;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Every worker busy (other images in flight): splitting would only make this caller wait on
    // chunks that busy threads claim late, and the cores are in use anyway.
    split = idle_ > 0;
    if (split) open_.push_back(loop);
  }
  if (!split) {
    body(0, count);
    return;
  }
  wake_.notify_all();
  while (runChunk(*loop)) {
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    open_.erase(std::remove(open_.begin(), open_.end(), loop), open_.end());
  }
  // Every chunk is claimed; wait for those other threads still run (body lives on this stack).
  std::unique_lock<std::mutex> lock(loop->mutex);
  loop->finished.wait(lock, [&] { return loop->running == 0; });
}

void ImagePool::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void ImagePool::workerLoop(int index) {
  lowerToImageWorkPriority();
  for (;;) {
    std::shared_ptr<Loop> loop;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ++idle_;
      wake_.wait(lock, [&] { return index >= target_ || !open_.empty() || !tasks_.empty(); });
      --idle_;
      if (index >= target_) return;
      if (open_.empty()) {
        std::function<void()> task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
        continue;
      }
      loop = open_.front();
      // Round robin: the next idle thread starts on another image's loop.
      open_.pop_front();
      open_.push_back(loop);
    }
    if (!runChunk(*loop)) {
      std::lock_guard<std::mutex> lock(mutex_);
      open_.erase(std::remove(open_.begin(), open_.end(), loop), open_.end());
    }
  }
}

namespace {

std::mutex poolMutex;
int requestedThreads = 0;  // 0: the default

// One per core: the threads run below the JS thread's priority (work_priority.h), so the JS thread gets a
// core when it wakes without one being held back from image work.
int defaultThreads() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

}  // namespace

ImagePool& imagePool() {
  static ImagePool pool(imagePoolThreads());
  return pool;
}

int imagePoolThreads() {
  std::lock_guard<std::mutex> lock(poolMutex);
  return requestedThreads > 0 ? requestedThreads : defaultThreads();
}

void setImagePoolThreads(int threads) {
  {
    std::lock_guard<std::mutex> lock(poolMutex);
    requestedThreads = std::max(0, threads);
  }
  imagePool().resize(imagePoolThreads());
}

}  // namespace vl2::image
