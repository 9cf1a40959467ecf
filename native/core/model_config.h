// The structure of one DeepSeek-VL2 variant, read from config.json (values) and
// the checkpoint's tensor shapes (widths). SPEC.md section 1 lists the variants;
// absent keys take SPEC's defaults.
#pragma once

#include <cstdint>
#include <string>

namespace vl2 {

enum class ScoringFunc { kSoftmax, kSigmoid };
enum class TopkMethod { kGreedy, kGroupLimitedGreedy, kNoauxTc };

struct LanguageConfig {
  int vocabSize = 0;
  int hiddenSize = 0;
  int intermediateSize = 0;     // dense MLP
  int moeIntermediateSize = 0;  // one routed expert
  int numLayers = 0;
  int numHeads = 0;
  int firstDenseLayers = 1;  // first_k_dense_replace
  int routedExperts = 0;
  int sharedExperts = 0;
  int expertsPerToken = 0;
  int groups = 1;      // n_group
  int topkGroups = 1;  // topk_group
  bool normTopkProb = false;
  float routedScalingFactor = 1.0f;
  ScoringFunc scoring = ScoringFunc::kSoftmax;
  TopkMethod topkMethod = TopkMethod::kGreedy;
  float rmsNormEps = 1e-6f;
  double ropeTheta = 10000.0;
  int maxPositions = 4096;
  int bosTokenId = 0;
  int eosTokenId = 1;

  bool useMla = false;
  int qLoraRank = 0;  // 0: a direct q_proj
  int kvLoraRank = 0;
  int qkNopeHeadDim = 0;
  int qkRopeHeadDim = 0;
  int vHeadDim = 0;

  int headDim() const { return useMla ? qkNopeHeadDim + qkRopeHeadDim : hiddenSize / numHeads; }
  // Values cached per token per layer: the latent and the rope key (MLA), or K and V.
  int kvCacheWidth() const { return useMla ? kvLoraRank + qkRopeHeadDim : 2 * hiddenSize; }
  bool isMoeLayer(int layer) const { return layer >= firstDenseLayers && routedExperts > 0; }
};

struct VisionConfig {
  int imageSize = 384;
  int patchSize = 14;
  int width = 0;
  int layers = 0;
  int heads = 0;
  int mlpWidth = 0;  // from the fc1 weight's shape
  float layerNormEps = 1e-6f;

  int gridSide() const { return imageSize / patchSize; }   // 27
  int patches() const { return gridSide() * gridSide(); }  // 729
};

struct ProjectorConfig {
  int inputDim = 0;
  int embedDim = 0;  // n_embed, equal to the language hidden size
  int downsampleRatio = 2;
};

struct ModelConfig {
  LanguageConfig language;
  VisionConfig vision;
  ProjectorConfig projector;
};

// Tokens one image occupies in the prompt for a tiling of tilesAcross x tilesDown
// (SPEC section 4): global rows with newlines, the separator, local rows with newlines.
std::int64_t imageTokenCount(const ModelConfig& config, int tilesAcross, int tilesDown);

}  // namespace vl2
