// Memory for a whole decoded image (tens of MB). Backed by 2 MB pages where the kernel allows it
// (Linux, transparent huge pages in "madvise" mode or "always"): the first touch of 4 KB pages costs a
// fault each, ~9,000 of them (about 2 us apiece with memory accounting) for a 12-megapixel photo, more
// than decoding some images takes. Freed with free(), so a worker thread can drop it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace vl2::image {

struct FreeDeleter {
  void operator()(std::uint8_t* data) const { std::free(data); }
};
using HugePixels = std::unique_ptr<std::uint8_t, FreeDeleter>;

// Not zero-filled. Throws std::bad_alloc when the memory is not there.
HugePixels newHugePixels(std::size_t bytes);

}  // namespace vl2::image
