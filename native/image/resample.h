// One resize like PIL's Image.resize((width, height), Image.BICUBIC) on 8-bit RGB: horizontal pass
// then vertical, each skipped when that side keeps its size; bands of rows run on the image pool.
#pragma once

#include <cstdint>

#include "image/image_pool.h"
#include "image/pixel_memory.h"
#include "image/resample_kernels.h"

namespace vl2::image {

struct RgbImage {
  int width = 0;
  int height = 0;
  PixelBuffer data;  // [height][width][3]
  RgbView view() const { return {data.get(), width, height}; }
};

// out: [height][width][3]. src stays untouched.
RgbImage resizeBicubic(ImagePool& pool, const RgbView& src, int width, int height);

// Whether the AVX2 kernels run (the CPU has AVX2 and VL2_CPU_KERNELS is not "portable").
bool resampleUsesAvx2();

}  // namespace vl2::image
