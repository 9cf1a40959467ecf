// SigLIP on the GPU: all tiles of an image in one pass (rows = tiles x 729), then the projector
// (projector.cu) into the language model's width.
#include <cmath>

#include "backend/cuda/attention/attention.h"
#include "backend/cuda/check.h"
#include "backend/cuda/elementwise/elementwise.h"
#include "backend/cuda/model/device_ops.h"
#include "core/dtype.h"

namespace vl2::cuda {
namespace {

std::vector<float> toHostFloat(const __nv_bfloat16* device, std::size_t count, cudaStream_t stream) {
  std::vector<std::uint16_t> bits(count);
  check(cudaMemcpyAsync(bits.data(), device, count * 2, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  std::vector<float> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = bf16ToFloat(bits[i]);
  return out;
}

}  // namespace

void CudaBackend::encodeTiles(const std::uint8_t* tiles, std::int64_t count, float* out,
                              TileCaptures* firstTile) {
  if (count <= 0) return;
  check(cudaSetDevice(device_), "cudaSetDevice");
  const VisionConfig& v = config_.vision;
  const int tileCount = static_cast<int>(count);
  const int grid = v.gridSide(), patches = v.patches(), width = v.width;
  const int rows = tileCount * patches;
  const std::size_t tileBytes = static_cast<std::size_t>(v.imageSize) * v.imageSize * 3;
  scratch_->reset();
  Scratch& s = *scratch_;

  auto* pixels = s.take<std::uint8_t>(tileBytes * tileCount);
  check(cudaMemcpyAsync(pixels, tiles, tileBytes * tileCount, cudaMemcpyHostToDevice, stream_),
        "tiles upload");
  auto* patchValues = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * patchEmbed_.in);
  patchify(pixels, tileCount, v.imageSize, v.patchSize, grid, patchValues, stream_);
  auto* x = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * width);
  linear(patchValues, rows, patchEmbed_, x, width, stream_);
  addPeriodicRows(x, positions_, rows, width, patches, stream_);

  const int heads = v.heads, headDim = width / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  auto* normed = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * width);
  auto* qkv = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * 3 * width);
  auto* attended = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * width);
  auto* hidden = s.take<__nv_bfloat16>(static_cast<std::size_t>(rows) * v.mlpWidth);
  // The shape-agnostic attention reads each row's tile and key count from the device.
  const bool flash = tunedKernels() && headDim == 72 && width % 8 == 0;
  int32_t* rowTile = nullptr;
  int32_t* keyCount = nullptr;
  if (!flash) {
    std::vector<int32_t> host(static_cast<std::size_t>(rows) * 2);
    for (int r = 0; r < rows; ++r) {
      host[r] = r / patches;
      host[rows + r] = patches;
    }
    rowTile = s.take<int32_t>(host.size());
    keyCount = rowTile + rows;
    check(cudaMemcpyAsync(rowTile, host.data(), host.size() * 4, cudaMemcpyHostToDevice, stream_),
          "vision row upload");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");  // `host` goes out of scope
  }
  for (const VisionBlock& block : visionBlocks_) {
    layerNorm(x, block.norm1Weight, block.norm1Bias, normed, rows, width, v.layerNormEps, stream_);
    linear(normed, rows, block.qkv, qkv, 3 * width, stream_);
    if (flash) {
      const long long rowStride = 3LL * width;
      FlashTensor q{qkv, rowStride, headDim, rowStride * patches};
      FlashTensor k{qkv + width, rowStride, headDim, rowStride * patches};
      FlashTensor vv{qkv + 2 * width, rowStride, headDim, rowStride * patches};
      FlashOutput o{attended, width, headDim, static_cast<long long>(width) * patches};
      flashPrefill(q, k, vv, o, tileCount, heads, heads, patches, patches, headDim, headDim, scale, false,
                   stream_);
    } else {
      AnyAttention a;
      a.q1 = qkv;
      a.q1RowStride = 3LL * width;
      a.q1HeadStride = headDim;
      a.d1 = headDim;
      a.k = qkv + width;
      a.kRowStride = 3LL * width;
      a.kHeadStride = headDim;
      a.v = qkv + 2 * width;
      a.vRowStride = 3LL * width;
      a.vHeadStride = headDim;
      a.dv = headDim;
      a.sequenceRows = patches;
      a.rowSequence = rowTile;
      a.keyCount = keyCount;
      a.rows = rows;
      a.heads = heads;
      a.kvHeads = heads;
      a.scale = scale;
      a.out = attended;
      a.outRowStride = width;
      a.outHeadStride = headDim;
      anyAttention(a, stream_);
    }
    linear(attended, rows, block.proj, x, width, stream_, x, width);
    layerNorm(x, block.norm2Weight, block.norm2Bias, normed, rows, width, v.layerNormEps, stream_);
    linear(normed, rows, block.fc1, hidden, v.mlpWidth, stream_);
    geluAny(hidden, static_cast<long long>(rows) * v.mlpWidth, true, stream_);
    linear(hidden, rows, block.fc2, x, width, stream_, x, width);
  }
  layerNorm(x, visionNormWeight_, visionNormBias_, x, rows, width, v.layerNormEps, stream_);

  project(x, tileCount, out);
  if (firstTile && firstTile->wanted) {
    const int ratio = config_.projector.downsampleRatio;
    const int side = (grid + ratio - 1) / ratio, groups = side * side;
    firstTile->vision0 = toHostFloat(x, static_cast<std::size_t>(patches) * width, stream_);
    firstTile->projector0.assign(out, out + static_cast<std::size_t>(groups) * config_.projector.embedDim);
  }
  check(cudaStreamSynchronize(stream_), "vision pass");
}

}  // namespace vl2::cuda
