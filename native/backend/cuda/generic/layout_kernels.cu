// Data movement and the small shape-agnostic kernels of generic.h: rows to and from the
// paged cache, dtype conversions, GELU, SigLIP's patches and position rows, the
// projector's 2x2 gather. One thread per value, grid-stride loops.
#include <algorithm>

#include "backend/cuda/check.h"
#include "backend/cuda/generic/generic.h"

namespace vl2::cuda {
namespace {

constexpr int kThreads = 256;

int blocksFor(long long count) {
  const long long wanted = (count + kThreads - 1) / kThreads;
  return static_cast<int>(std::max<long long>(1, std::min<long long>(wanted, 64LL * multiprocessorCount())));
}

#define VL2_GRID_STRIDE(i, count)                                                                \
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < (count); \
       i += static_cast<long long>(gridDim.x) * blockDim.x)

__global__ void scatterRowsKernel(const __nv_bfloat16* src, long long srcStride, const int32_t* rowIndex,
                                  __nv_bfloat16* dst, long long dstStride, int rows, int width) {
  VL2_GRID_STRIDE(i, static_cast<long long>(rows) * width) {
    const long long r = i / width, c = i % width;
    dst[rowIndex[r] * dstStride + c] = src[r * srcStride + c];
  }
}

__global__ void gatherRowsKernel(const __nv_bfloat16* src, long long srcStride, const int32_t* rowIndex,
                                 __nv_bfloat16* dst, long long dstStride, int rows, int width) {
  VL2_GRID_STRIDE(i, static_cast<long long>(rows) * width) {
    const long long r = i / width, c = i % width;
    dst[r * dstStride + c] = src[rowIndex[r] * srcStride + c];
  }
}

__global__ void copyHeadsKernel(const __nv_bfloat16* src, long long srcRowStride, long long srcHeadStride,
                                __nv_bfloat16* dst, long long dstRowStride, long long dstHeadStride, int rows,
                                int heads, int width) {
  VL2_GRID_STRIDE(i, static_cast<long long>(rows) * heads * width) {
    const long long c = i % width, h = (i / width) % heads, r = i / (static_cast<long long>(width) * heads);
    dst[r * dstRowStride + h * dstHeadStride + c] = src[r * srcRowStride + h * srcHeadStride + c];
  }
}

__global__ void floatToBf16Kernel(const float* src, __nv_bfloat16* dst, long long count) {
  VL2_GRID_STRIDE(i, count) dst[i] = __float2bfloat16(src[i]);
}

__global__ void bf16ToFloatKernel(const __nv_bfloat16* src, float* dst, long long count) {
  VL2_GRID_STRIDE(i, count) dst[i] = __bfloat162float(src[i]);
}

__global__ void geluKernel(__nv_bfloat16* x, long long count, bool tanhForm) {
  VL2_GRID_STRIDE(i, count) {
    const float v = __bfloat162float(x[i]);
    float y;
    if (tanhForm) {
      y = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
    } else {
      y = 0.5f * v * (1.0f + erff(v * 0.7071067811865476f));
    }
    x[i] = __float2bfloat16(y);
  }
}

__global__ void addPeriodicRowsKernel(__nv_bfloat16* x, const __nv_bfloat16* table, int rows, int width,
                                      int period) {
  VL2_GRID_STRIDE(i, static_cast<long long>(rows) * width) {
    const long long r = i / width, c = i % width;
    x[i] = __float2bfloat16(__bfloat162float(x[i]) + __bfloat162float(table[(r % period) * width + c]));
  }
}

__global__ void patchifyKernel(const uint8_t* tiles, int tileCount, int imageSize, int patch, int grid,
                               __nv_bfloat16* out) {
  const int values = 3 * patch * patch;
  VL2_GRID_STRIDE(i, static_cast<long long>(tileCount) * grid * grid * values) {
    const int v = static_cast<int>(i % values);
    const long long token = i / values;
    const int tile = static_cast<int>(token / (grid * grid));
    const int p = static_cast<int>(token % (grid * grid));
    const int py = p / grid, px = p % grid;
    const int c = v / (patch * patch), ky = (v / patch) % patch, kx = v % patch;
    const long long pixel =
        ((static_cast<long long>(tile) * imageSize + py * patch + ky) * imageSize + px * patch + kx) * 3 + c;
    out[i] = __float2bfloat16((tiles[pixel] / 255.0f - 0.5f) / 0.5f);
  }
}

__global__ void downsampleGatherKernel(const __nv_bfloat16* features, int tiles, int grid, int side,
                                       int ratio, int channels, __nv_bfloat16* out) {
  const int grouped = channels * ratio * ratio;
  VL2_GRID_STRIDE(i, static_cast<long long>(tiles) * side * side * grouped) {
    const int value = static_cast<int>(i % grouped);
    const long long group = i / grouped;
    const int tile = static_cast<int>(group / (side * side));
    const int g = static_cast<int>(group % (side * side));
    const int c = value / (ratio * ratio), slot = value % (ratio * ratio);
    const int y = (g / side) * ratio + slot / ratio, x = (g % side) * ratio + slot % ratio;
    out[i] = (y < grid && x < grid)
                 ? features[(static_cast<long long>(tile) * grid * grid + y * grid + x) * channels + c]
                 : __float2bfloat16(0.0f);
  }
}

}  // namespace

void scatterRows(const __nv_bfloat16* src, long long srcStride, const int32_t* rowIndex, __nv_bfloat16* dst,
                 long long dstStride, int rows, int width, cudaStream_t stream) {
  require(rows >= 0 && width > 0, "scatterRows sizes");
  if (rows == 0) return;
  scatterRowsKernel<<<blocksFor(static_cast<long long>(rows) * width), kThreads, 0, stream>>>(
      src, srcStride, rowIndex, dst, dstStride, rows, width);
  checkLaunch("scatterRowsKernel");
}

void gatherRows(const __nv_bfloat16* src, long long srcStride, const int32_t* rowIndex, __nv_bfloat16* dst,
                long long dstStride, int rows, int width, cudaStream_t stream) {
  require(rows >= 0 && width > 0, "gatherRows sizes");
  if (rows == 0) return;
  gatherRowsKernel<<<blocksFor(static_cast<long long>(rows) * width), kThreads, 0, stream>>>(
      src, srcStride, rowIndex, dst, dstStride, rows, width);
  checkLaunch("gatherRowsKernel");
}

void copyHeads(const __nv_bfloat16* src, long long srcRowStride, long long srcHeadStride, __nv_bfloat16* dst,
               long long dstRowStride, long long dstHeadStride, int rows, int heads, int width,
               cudaStream_t stream) {
  require(rows >= 0 && heads > 0 && width > 0, "copyHeads sizes");
  if (rows == 0) return;
  copyHeadsKernel<<<blocksFor(static_cast<long long>(rows) * heads * width), kThreads, 0, stream>>>(
      src, srcRowStride, srcHeadStride, dst, dstRowStride, dstHeadStride, rows, heads, width);
  checkLaunch("copyHeadsKernel");
}

void convertToBf16(const float* src, __nv_bfloat16* dst, long long count, cudaStream_t stream) {
  if (count <= 0) return;
  floatToBf16Kernel<<<blocksFor(count), kThreads, 0, stream>>>(src, dst, count);
  checkLaunch("floatToBf16Kernel");
}

void convertToFloat(const __nv_bfloat16* src, float* dst, long long count, cudaStream_t stream) {
  if (count <= 0) return;
  bf16ToFloatKernel<<<blocksFor(count), kThreads, 0, stream>>>(src, dst, count);
  checkLaunch("bf16ToFloatKernel");
}

void geluAny(__nv_bfloat16* x, long long count, bool tanhForm, cudaStream_t stream) {
  if (count <= 0) return;
  geluKernel<<<blocksFor(count), kThreads, 0, stream>>>(x, count, tanhForm);
  checkLaunch("geluKernel");
}

void addPeriodicRows(__nv_bfloat16* x, const __nv_bfloat16* table, int rows, int width, int period,
                     cudaStream_t stream) {
  require(rows >= 0 && width > 0 && period > 0, "addPeriodicRows sizes");
  if (rows == 0) return;
  addPeriodicRowsKernel<<<blocksFor(static_cast<long long>(rows) * width), kThreads, 0, stream>>>(
      x, table, rows, width, period);
  checkLaunch("addPeriodicRowsKernel");
}

void patchify(const uint8_t* tiles, int tileCount, int imageSize, int patch, int grid, __nv_bfloat16* out,
              cudaStream_t stream) {
  require(tileCount >= 0 && patch > 0 && grid * patch <= imageSize, "patchify sizes");
  if (tileCount == 0) return;
  const long long count = static_cast<long long>(tileCount) * grid * grid * 3 * patch * patch;
  patchifyKernel<<<blocksFor(count), kThreads, 0, stream>>>(tiles, tileCount, imageSize, patch, grid, out);
  checkLaunch("patchifyKernel");
}

void downsampleGather(const __nv_bfloat16* features, int tiles, int grid, int side, int ratio, int channels,
                      __nv_bfloat16* out, cudaStream_t stream) {
  require(tiles >= 0 && side * ratio >= grid && channels > 0, "downsampleGather sizes");
  if (tiles == 0) return;
  const long long count = static_cast<long long>(tiles) * side * side * channels * ratio * ratio;
  downsampleGatherKernel<<<blocksFor(count), kThreads, 0, stream>>>(features, tiles, grid, side, ratio,
                                                                    channels, out);
  checkLaunch("downsampleGatherKernel");
}

}  // namespace vl2::cuda
