// Decoding with the libvips that sharp has already loaded into this process, into memory this addon
// owns. Why not sharp's own raw output: sharp hands every decoded image to JavaScript as a Buffer (a
// fresh mapping of 4 KB pages, filled by one more copy), V8 counts it as external memory and runs a full
// garbage collection for about every 64 MB of them, and the Buffer is freed on the JS thread. Measured
// on the bench's photos: 5-6 ms of page faults per image and GC pauses of 10-35 ms with many images in
// flight. The same loader with the same options (sharp's defaults: sequential access, fail on warnings)
// gives the same pixels. Taken: JPEG, PNG and WebP that load as 8-bit 3-band sRGB, with an embedded ICC
// profile applied as sharp applies it (phone photos carry one); any other conversion (greyscale expansion,
// alpha removal, CMYK, 16 bits) and other formats stay with sharp's pipeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "image/resample.h"

namespace vl2::image {

// Whether libvips was found in the process (Linux, sharp loaded first); otherwise every image goes
// through sharp.
bool vipsDecodeAvailable();

// The image's pixels as 8-bit RGB, or nullopt when sharp's pipeline should take it: it needs one of
// sharp's conversions, libvips cannot decode it (sharp then refuses it with its own message), or libvips
// is not available. Throws InvalidArgument for images of more than maxPixels pixels (read from the
// header, before decoding).
std::optional<RgbImage> decodePlainRgb(const std::uint8_t* bytes, std::size_t length, std::int64_t maxPixels);

}  // namespace vl2::image
