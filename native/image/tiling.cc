// Compiled with -ffp-contract=off (CMakeLists.txt): the pad geometry is double arithmetic that must
// round as lib/processor/tiling.ts does.
#include "image/tiling.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "core/errors.h"
#include "image/resample.h"

namespace vl2::image {
namespace {

// Python's round(): halves go to the even neighbour.
int roundHalfEven(double value) {
  const double floor = std::floor(value);
  const double diff = value - floor;
  if (diff > 0.5) return static_cast<int>(floor) + 1;
  if (diff < 0.5) return static_cast<int>(floor);
  return std::fmod(floor, 2) == 0 ? static_cast<int>(floor) : static_cast<int>(floor) + 1;
}

// PIL's ImageOps.pad(image, (width, height), BICUBIC, fill, centering 0.5) into out [height][width][3].
void padResize(ImagePool& pool, const RgbView& image, int width, int height, RgbFill fill,
               std::uint8_t* out) {
  const double imageRatio = static_cast<double>(image.width) / image.height;
  const double targetRatio = static_cast<double>(width) / height;
  int resizedWidth = width, resizedHeight = height, left = 0, top = 0;
  if (imageRatio > targetRatio) {
    resizedHeight = roundHalfEven(static_cast<double>(image.height) / image.width * width);
    top = roundHalfEven((height - resizedHeight) * 0.5);
  } else if (imageRatio < targetRatio) {
    resizedWidth = roundHalfEven(static_cast<double>(image.width) / image.height * height);
    left = roundHalfEven((width - resizedWidth) * 0.5);
  }
  const RgbImage resized = resizeBicubic(pool, image, resizedWidth, resizedHeight);
  const std::size_t rowBytes = static_cast<std::size_t>(width) * 3;
  for (int y = 0; y < height; ++y) {
    std::uint8_t* row = out + y * rowBytes;
    const int sourceY = y - top;
    const bool inside = sourceY >= 0 && sourceY < resized.height && resized.width > 0;
    const int x0 = inside ? left : width;
    const int x1 = inside ? std::min(width, left + resized.width) : width;
    for (int x = 0; x < x0; ++x) std::memcpy(row + x * 3, fill.data(), 3);
    if (inside)
      std::memcpy(row + x0 * 3, resized.data.get() + static_cast<std::size_t>(sourceY) * resized.width * 3,
                  static_cast<std::size_t>(x1 - x0) * 3);
    for (int x = x1; x < width; ++x) std::memcpy(row + x * 3, fill.data(), 3);
  }
}

}  // namespace

void writeTiles(ImagePool& pool, const RgbView& image, int canvasWidth, int canvasHeight, RgbFill fill,
                std::uint8_t* out) {
  if (canvasWidth <= 0 || canvasHeight <= 0 || canvasWidth % kTileSide != 0 || canvasHeight % kTileSide != 0)
    fail(ErrorCode::kInvalidArgument, "the canvas " + std::to_string(canvasWidth) + "x" +
                                          std::to_string(canvasHeight) + " is not made of 384x384 tiles");
  if (image.width <= 0 || image.height <= 0) fail(ErrorCode::kInvalidArgument, "the image has zero size");
  padResize(pool, image, kTileSide, kTileSide, fill, out);
  const PixelBuffer canvas = newPixels(static_cast<std::size_t>(canvasWidth) * canvasHeight * 3);
  padResize(pool, image, canvasWidth, canvasHeight, fill, canvas.get());
  const int across = canvasWidth / kTileSide;
  const int down = canvasHeight / kTileSide;
  const std::size_t tileRowBytes = static_cast<std::size_t>(kTileSide) * 3;
  std::uint8_t* tile = out + kTileBytes;
  for (int ty = 0; ty < down; ++ty) {
    for (int tx = 0; tx < across; ++tx, tile += kTileBytes) {
      for (int y = 0; y < kTileSide; ++y) {
        const std::size_t from =
            (static_cast<std::size_t>(ty * kTileSide + y) * canvasWidth + tx * kTileSide) * 3;
        std::memcpy(tile + y * tileRowBytes, canvas.get() + from, tileRowBytes);
      }
    }
  }
}

}  // namespace vl2::image
