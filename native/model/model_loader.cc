#include "model/model_loader.h"

#include "core/errors.h"

namespace vl2 {
namespace {

void requirePositive(int value, const char* name) {
  if (value <= 0) fail(ErrorCode::kCheckpoint, std::string("config value ") + name + " must be positive");
}

void checkLanguage(const LanguageConfig& c) {
  requirePositive(c.vocabSize, "vocab_size");
  requirePositive(c.hiddenSize, "hidden_size");
  requirePositive(c.numLayers, "num_hidden_layers");
  requirePositive(c.numHeads, "num_attention_heads");
  if (c.routedExperts > 0) {
    requirePositive(c.expertsPerToken, "num_experts_per_tok");
    requirePositive(c.moeIntermediateSize, "moe_intermediate_size");
    if (c.expertsPerToken > c.routedExperts)
      fail(ErrorCode::kCheckpoint, "num_experts_per_tok exceeds n_routed_experts");
    if (c.groups <= 0 || c.routedExperts % c.groups != 0 || c.topkGroups <= 0 || c.topkGroups > c.groups) {
      fail(ErrorCode::kCheckpoint,
           "n_group must divide n_routed_experts and topk_group must be in 1..n_group");
    }
  }
  if (c.useMla) {
    requirePositive(c.kvLoraRank, "kv_lora_rank");
    requirePositive(c.qkRopeHeadDim, "qk_rope_head_dim");
    requirePositive(c.vHeadDim, "v_head_dim");
    if (c.qkRopeHeadDim % 2) fail(ErrorCode::kCheckpoint, "qk_rope_head_dim must be even");
  } else if (c.hiddenSize % c.numHeads || (c.hiddenSize / c.numHeads) % 2) {
    fail(ErrorCode::kCheckpoint, "hidden_size must split into heads of an even width");
  }
}

}  // namespace

std::unique_ptr<Model> loadModel(const std::vector<std::string>& files, std::vector<TensorRecord> records,
                                 ModelConfig config, const ModelOptions& options) {
  auto store = std::make_unique<WeightStore>(files, std::move(records));
  const WeightView& patch = store->get("vision.patch_embed.proj.weight");
  if (patch.shape.size() != 4) fail(ErrorCode::kCheckpoint, "vision.patch_embed.proj.weight must be 4-D");
  config.vision.width = static_cast<int>(patch.dim(0));
  config.vision.mlpWidth = static_cast<int>(store->get("vision.blocks.0.mlp.fc1.weight").dim(0));
  requirePositive(config.vision.layers, "vision_config.layers");
  requirePositive(config.vision.heads, "vision_config.heads");
  if (config.vision.width % config.vision.heads)
    fail(ErrorCode::kCheckpoint, "vision width must split into heads");
  if (config.projector.embedDim != config.language.hiddenSize) {
    fail(ErrorCode::kCheckpoint, "projector n_embed must equal the language hidden_size");
  }
  config.projector.inputDim = config.vision.width;
  checkLanguage(config.language);
  return std::make_unique<Model>(std::move(store), config, options);
}

}  // namespace vl2
