// One image's tiles as the official processor makes them (SPEC.md section 3), given the canvas the
// TypeScript side chose: the image pad-resized onto a 384x384 global view and onto the canvas (PIL's
// ImageOps.pad: bicubic, centred, the rest filled), the canvas cut into 384x384 tiles row by row.
#pragma once

#include <array>
#include <cstdint>

#include "image/image_pool.h"
#include "image/resample_kernels.h"

namespace vl2::image {

constexpr int kTileSide = 384;
constexpr std::size_t kTileBytes = static_cast<std::size_t>(kTileSide) * kTileSide * 3;

using RgbFill = std::array<std::uint8_t, 3>;

// out: [1 + across * down][384][384][3], across = canvasWidth / 384, down = canvasHeight / 384.
// Throws InvalidArgument when the canvas is not a positive multiple of 384 on both sides.
void writeTiles(ImagePool& pool, const RgbView& image, int canvasWidth, int canvasHeight, RgbFill fill,
                std::uint8_t* out);

}  // namespace vl2::image
