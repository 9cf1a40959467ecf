// Memory for pixels: decoded images and the resize's intermediates (tens of MB per photo). Fresh memory
// costs more than it seems: its first touch faults in 4 KB pages (~2 us each with memory accounting) or,
// on 2 MB pages, is zeroed by the kernel; measured on the bench's photos, faults and zeroing took 15-20%
// of all CPU time. So large blocks are kept when freed and handed out again while images keep coming;
// a block unused for kIdleRelease goes back to the OS (a burst leaves nothing behind for long), and the
// idle ones never exceed kMaxIdleBytes. Large blocks sit on 2 MB pages where the kernel allows it (Linux
// transparent huge pages, "madvise" or "always"). Blocks move freely between threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace vl2::image {

// Gives a block back: to the idle list when it is a large one, else to the heap.
struct PixelDeleter {
  std::size_t blockBytes = 0;  // the large block's capacity; 0 for heap memory
  void operator()(std::uint8_t* data) const;
};
using PixelBuffer = std::unique_ptr<std::uint8_t, PixelDeleter>;

// At least `bytes`, not zero-filled (every byte is written before it is read, and zeroing would cost
// more than some passes). Throws std::bad_alloc when the memory is not there.
PixelBuffer newPixels(std::size_t bytes);

// How long an idle block is kept: longer than the gaps of a stream of images (one every few seconds still
// reuses its blocks), short enough that memory falls back soon after the last one. Measured on this 2-core
// VM, where fresh memory is dear (the host backs each new page too): the first pass over the bench's
// photos spent 17.9 ms of system time per image, later passes 1.9.
constexpr std::chrono::milliseconds kIdleRelease{10'000};
// A bound on idle blocks whatever the timing (past it, the oldest go at once).
constexpr std::size_t kMaxIdleBytes = std::size_t{1} << 30;

}  // namespace vl2::image
