#include "image/pixel_memory.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace vl2::image {
namespace {

using Clock = std::chrono::steady_clock;

// A transparent huge page on x86-64 and most arm64 kernels. Blocks are whole, aligned huge pages, since a
// huge page backs only an aligned 2 MB range; smaller buffers (a global view, a small image) use the heap.
constexpr std::size_t kBlockBytes = std::size_t{2} << 20;

struct Block {
  std::uint8_t* data;
  std::size_t bytes;
  Clock::time_point released;
};

// The idle blocks, oldest first, and the thread that returns those idle past kIdleRelease. Never
// destroyed: image pool workers may still free blocks while the process exits.
class IdleBlocks {
 public:
  // The smallest idle block of at least `bytes`, if it is not more than twice that (a small image must
  // not take the block a large one will want next); nullptr when none fits.
  Block take(std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto best = blocks_.end();
    for (auto it = blocks_.begin(); it != blocks_.end(); ++it)
      if (it->bytes >= bytes && it->bytes <= 2 * bytes && (best == blocks_.end() || it->bytes < best->bytes))
        best = it;
    if (best == blocks_.end()) return {nullptr, 0, {}};
    const Block block = *best;
    blocks_.erase(best);
    idleBytes_ -= block.bytes;
    return block;
  }

  void give(std::uint8_t* data, std::size_t bytes) {
    std::vector<Block> dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      blocks_.push_back({data, bytes, Clock::now()});
      idleBytes_ += bytes;
      while (idleBytes_ > kMaxIdleBytes) dropped.push_back(popOldest());
      if (!trimming_) {
        trimming_ = true;
        std::thread([this] { trim(); }).detach();
      }
    }
    for (const Block& block : dropped) std::free(block.data);  // outside the lock: unmapping takes a while
  }

 private:
  Block popOldest() {
    const Block block = blocks_.front();
    blocks_.pop_front();
    idleBytes_ -= block.bytes;
    return block;
  }

  void trim() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      // Scans four times per kIdleRelease, so a block goes at most a quarter of it late.
      wake_.wait_for(lock, kIdleRelease / 4);
      std::vector<Block> dropped;
      const Clock::time_point cutoff = Clock::now() - kIdleRelease;
      // Blocks are in release order, but take() removes from the middle; scan all.
      for (auto it = blocks_.begin(); it != blocks_.end();) {
        if (it->released > cutoff) {
          ++it;
          continue;
        }
        dropped.push_back(*it);
        idleBytes_ -= it->bytes;
        it = blocks_.erase(it);
      }
      lock.unlock();
      for (const Block& block : dropped) std::free(block.data);
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Block> blocks_;
  std::size_t idleBytes_ = 0;
  bool trimming_ = false;
};

IdleBlocks& idleBlocks() {
  static IdleBlocks* blocks = new IdleBlocks();
  return *blocks;
}

std::uint8_t* allocateBlock(std::size_t bytes) {
  void* data = std::aligned_alloc(kBlockBytes, bytes);
  if (data == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  madvise(data, bytes, MADV_HUGEPAGE);  // advice only: without huge pages the memory still works
#endif
  return static_cast<std::uint8_t*>(data);
}

}  // namespace

void PixelDeleter::operator()(std::uint8_t* data) const {
  if (blockBytes == 0)
    std::free(data);
  else
    idleBlocks().give(data, blockBytes);
}

PixelBuffer newPixels(std::size_t bytes) {
  if (bytes < kBlockBytes) {
    void* data = std::malloc(std::max<std::size_t>(1, bytes));
    if (data == nullptr) throw std::bad_alloc();
    return PixelBuffer(static_cast<std::uint8_t*>(data), PixelDeleter{0});
  }
  const std::size_t rounded = (bytes + kBlockBytes - 1) / kBlockBytes * kBlockBytes;
  const Block idle = idleBlocks().take(rounded);
  if (idle.data != nullptr) return PixelBuffer(idle.data, PixelDeleter{idle.bytes});
  return PixelBuffer(allocateBlock(rounded), PixelDeleter{rounded});
}

}  // namespace vl2::image
