#include "image/huge_pages.h"

#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace vl2::image {
namespace {

// The size of a transparent huge page on x86-64 and most arm64 kernels; a huge page backs only an
// aligned 2 MB range, so the block starts on one and its size is rounded up to whole ones.
constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

}  // namespace

HugePixels newHugePixels(std::size_t bytes) {
  const std::size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  void* data = std::aligned_alloc(kHugePageBytes, rounded == 0 ? kHugePageBytes : rounded);
  if (data == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  madvise(data, rounded, MADV_HUGEPAGE);  // advice only: without huge pages the memory still works
#endif
  return HugePixels(static_cast<std::uint8_t*>(data));
}

}  // namespace vl2::image
