#include "backend/cpu/model/vision_tower.h"

#include <cmath>
#include <string>

#include "backend/cpu/attention.h"
#include "backend/cpu/elementwise.h"

namespace vl2 {

VisionTower::VisionTower(const WeightStore& store, const VisionConfig& config) : config_(config) {
  const std::int64_t width = config.width;
  const std::int64_t patchValues = 3LL * config.patchSize * config.patchSize;
  const WeightView& conv =
      store.get("vision.patch_embed.proj.weight", {width, 3, config.patchSize, config.patchSize});
  patchEmbed_.weight = conv.bf16();
  patchEmbed_.outFeatures = width;
  patchEmbed_.inFeatures = patchValues;
  patchEmbed_.bias = widenToFloat(store.get("vision.patch_embed.proj.bias", {width}));
  positions_ = widenToFloat(store.get("vision.pos_embed", {1, config.patches(), width}));
  for (int i = 0; i < config.layers; ++i) {
    const std::string p = "vision.blocks." + std::to_string(i) + ".";
    Block block;
    block.norm1Weight = widenToFloat(store.get(p + "norm1.weight", {width}));
    block.norm1Bias = widenToFloat(store.get(p + "norm1.bias", {width}));
    block.norm2Weight = widenToFloat(store.get(p + "norm2.weight", {width}));
    block.norm2Bias = widenToFloat(store.get(p + "norm2.bias", {width}));
    block.qkv = Linear::load(store, p + "attn.qkv", 3 * width, width, true);
    block.proj = Linear::load(store, p + "attn.proj", width, width, true);
    block.fc1 = Linear::load(store, p + "mlp.fc1", config.mlpWidth, width, true);
    block.fc2 = Linear::load(store, p + "mlp.fc2", width, config.mlpWidth, true);
    blocks_.push_back(std::move(block));
  }
  normWeight_ = widenToFloat(store.get("vision.norm.weight", {width}));
  normBias_ = widenToFloat(store.get("vision.norm.bias", {width}));
}

void VisionTower::encodeTile(ThreadPool& pool, const std::uint8_t* tile, float* out) const {
  const int side = config_.gridSide();
  const int patch = config_.patchSize;
  const std::int64_t tokens = config_.patches();
  const std::int64_t width = config_.width;
  const std::int64_t patchValues = 3LL * patch * patch;
  const int imageSize = config_.imageSize;

  // Patch vectors in the conv weight's [c][ky][kx] order; pixels scaled to [-1, 1].
  // The last imageSize - side*patch rows and columns are never read (SPEC section 5).
  std::vector<float> patches(static_cast<std::size_t>(tokens * patchValues));
  for (int py = 0; py < side; ++py) {
    for (int px = 0; px < side; ++px) {
      float* dst = patches.data() + (py * side + px) * patchValues;
      for (int c = 0; c < 3; ++c) {
        for (int ky = 0; ky < patch; ++ky) {
          const std::uint8_t* row = tile + ((py * patch + ky) * imageSize + px * patch) * 3 + c;
          for (int kx = 0; kx < patch; ++kx)
            dst[(c * patch + ky) * patch + kx] = (row[kx * 3] / 255.0f - 0.5f) / 0.5f;
        }
      }
    }
  }
  float* x = out;  // the residual stream lives in the output buffer
  patchEmbed_.apply(pool, patches.data(), tokens, x);
  cpu::addInPlace(x, positions_.data(), tokens * width);

  const int heads = config_.heads;
  const int headDim = static_cast<int>(width / heads);
  const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  std::vector<float> normed(static_cast<std::size_t>(tokens * width));
  std::vector<float> qkv(static_cast<std::size_t>(tokens * 3 * width));
  std::vector<float> attended(static_cast<std::size_t>(tokens * width));
  std::vector<float> hidden(static_cast<std::size_t>(tokens * config_.mlpWidth));
  for (const Block& block : blocks_) {
    cpu::layerNorm(pool, x, normed.data(), tokens, width, block.norm1Weight.data(), block.norm1Bias.data(),
                   config_.layerNormEps);
    block.qkv.apply(pool, normed.data(), tokens, qkv.data());
    // qkv row: q | k | v, each heads x headDim.
    cpu::denseAttention(pool, qkv.data(), qkv.data() + width, qkv.data() + 2 * width, 3 * width, tokens,
                        heads, headDim, scale, attended.data());
    block.proj.apply(pool, attended.data(), tokens, x, true);
    cpu::layerNorm(pool, x, normed.data(), tokens, width, block.norm2Weight.data(), block.norm2Bias.data(),
                   config_.layerNormEps);
    block.fc1.apply(pool, normed.data(), tokens, hidden.data());
    cpu::geluTanh(pool, hidden.data(), tokens * config_.mlpWidth);
    block.fc2.apply(pool, hidden.data(), tokens, x, true);
  }
  cpu::layerNorm(pool, x, x, tokens, width, normWeight_.data(), normBias_.data(), config_.layerNormEps);
}

}  // namespace vl2
