// Activation memory of one pass: a bump allocator over device chunks. A pass takes what
// it needs; a take that does not fit opens another chunk, so earlier pointers stay valid.
// reset() (after the pass has synchronised) merges the chunks into one of their total size,
// so a steady workload settles on a single allocation and no cudaMalloc per step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "backend/cuda/device_memory.h"

namespace vl2::cuda {

class Scratch {
 public:
  explicit Scratch(DeviceMemory& memory) : memory_(memory) {}
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  template <class T>
  T* take(std::size_t count) {
    return static_cast<T*>(takeBytes(count * sizeof(T)));
  }
  void reset();  // only when no kernel still uses the memory
  // Where the next take would land; rewind() gives back everything taken since (stream order
  // makes reuse safe: a later kernel of the same stream runs after the earlier ones). A mark
  // from before a new chunk was opened rewinds nothing.
  struct Mark {
    std::size_t chunks = 0;
    std::size_t used = 0;
  };
  Mark mark() const { return Mark{chunks_.size(), chunks_.empty() ? 0 : chunks_.back().used}; }
  void rewind(const Mark& mark) {
    if (!chunks_.empty() && chunks_.size() == mark.chunks) chunks_.back().used = mark.used;
  }
  std::size_t capacityBytes() const;
  // Changes whenever memory handed out before may have moved (chunks merged or added):
  // a captured CUDA graph holding pointers into this scratch is stale then.
  std::uint64_t generation() const { return generation_; }
  // Bytes taken since reset() when everything lies in one chunk, else SIZE_MAX; skipTo() takes
  // up to that mark without handing anything out (a replayed graph owns what lies before it).
  std::size_t singleChunkUsed() const;
  void skipTo(std::size_t used);

 private:
  void* takeBytes(std::size_t bytes);
  struct Chunk {
    char* base;
    std::size_t size;
    std::size_t used;
  };
  DeviceMemory& memory_;
  std::vector<Chunk> chunks_;
  std::uint64_t generation_ = 0;
};

}  // namespace vl2::cuda
