// Returning a dead buffer's memory to the OS from a worker thread. A decoded photo is tens of MB that
// JavaScript frees later, on the JS thread, inside a garbage collection: unmapping that many touched
// pages there stalls the event loop for milliseconds per image. Released here first, the pages cost
// nothing to unmap later.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vl2::image {

// The whole pages inside [data, data + bytes) read as zeros afterwards (Linux: MADV_DONTNEED);
// elsewhere nothing happens. Only for memory nobody reads again except as garbage.
void releasePages(std::uint8_t* data, std::size_t bytes);

}  // namespace vl2::image
