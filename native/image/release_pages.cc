#include "image/release_pages.h"

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace vl2::image {

void releasePages(std::uint8_t* data, std::size_t bytes) {
#if defined(__linux__)
  const auto pageBytes = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + pageBytes - 1) / pageBytes * pageBytes;
  const std::uintptr_t last = (begin + bytes) / pageBytes * pageBytes;
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace vl2::image
