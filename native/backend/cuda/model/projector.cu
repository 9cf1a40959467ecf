// The projector on the GPU: each tile's SigLIP grid gathered 2x2 (downsample), then two linear
// layers with GELU between, into the language model's width as fp32 on the host.
#include "backend/cuda/check.h"
#include "backend/cuda/elementwise/elementwise.h"
#include "backend/cuda/model/device_ops.h"

namespace vl2::cuda {

void CudaBackend::project(const __nv_bfloat16* x, int tileCount, float* out) {
  const int grid = config_.vision.gridSide(), width = config_.vision.width;
  Scratch& s = *scratch_;
  const int ratio = config_.projector.downsampleRatio;
  const int side = (grid + ratio - 1) / ratio, groups = side * side;
  const int embed = config_.projector.embedDim;
  auto* gathered =
      s.take<__nv_bfloat16>(static_cast<std::size_t>(tileCount) * groups * width * ratio * ratio);
  downsampleGather(x, tileCount, grid, side, ratio, width, gathered, stream_);
  auto* projected = s.take<__nv_bfloat16>(static_cast<std::size_t>(tileCount) * groups * embed);
  linear(gathered, tileCount * groups, projectorFirst_, projected, embed, stream_);
  geluAny(projected, static_cast<long long>(tileCount) * groups * embed, false, stream_);
  auto* features = s.take<__nv_bfloat16>(static_cast<std::size_t>(tileCount) * groups * embed);
  linear(projected, tileCount * groups, projectorSecond_, features, embed, stream_);
  auto* wide = s.take<float>(static_cast<std::size_t>(tileCount) * groups * embed);
  convertToFloat(features, wide, static_cast<long long>(tileCount) * groups * embed, stream_);
  check(
      cudaMemcpyAsync(out, wide, sizeof(float) * tileCount * groups * embed, cudaMemcpyDeviceToHost, stream_),
      "features download");
}

}  // namespace vl2::cuda
