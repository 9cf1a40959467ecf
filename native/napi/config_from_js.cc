#include "napi/config_from_js.h"

#include "napi/js_values.h"

namespace vl2::napi {
namespace {

// Config counts are non-negative ints (lib/checkpoint/config.ts refuses the rest first).
int intOr(const Napi::Object& o, const char* key, int fallback, const std::string& where) {
  return static_cast<int>(integerFieldOr(o, key, fallback, 0, INT32_MAX, where));
}

LanguageConfig languageFromJs(const Napi::Object& o) {
  const std::string where = "language_config";
  LanguageConfig c;
  c.vocabSize = intOr(o, "vocab_size", 0, where);
  c.hiddenSize = intOr(o, "hidden_size", 0, where);
  c.intermediateSize = intOr(o, "intermediate_size", 0, where);
  c.moeIntermediateSize = intOr(o, "moe_intermediate_size", 0, where);
  c.numLayers = intOr(o, "num_hidden_layers", 0, where);
  c.numHeads = intOr(o, "num_attention_heads", 0, where);
  c.firstDenseLayers = intOr(o, "first_k_dense_replace", 0, where);
  c.routedExperts = intOr(o, "n_routed_experts", 0, where);
  c.sharedExperts = intOr(o, "n_shared_experts", 0, where);
  c.expertsPerToken = intOr(o, "num_experts_per_tok", 0, where);
  c.groups = intOr(o, "n_group", 1, where);
  c.topkGroups = intOr(o, "topk_group", 1, where);
  c.normTopkProb = boolFieldOr(o, "norm_topk_prob", false, where);
  c.routedScalingFactor = static_cast<float>(numberFieldOr(o, "routed_scaling_factor", 1.0, where));
  const std::string scoring = stringFieldOr(o, "scoring_func", "softmax", where);
  if (scoring == "softmax") {
    c.scoring = ScoringFunc::kSoftmax;
  } else if (scoring == "sigmoid") {
    c.scoring = ScoringFunc::kSigmoid;
  } else {
    fail(ErrorCode::kUnsupported, "unsupported scoring_func '" + scoring + "' (softmax or sigmoid)");
  }
  const std::string method = stringFieldOr(o, "topk_method", "greedy", where);
  if (method == "greedy") {
    c.topkMethod = TopkMethod::kGreedy;
  } else if (method == "group_limited_greedy") {
    c.topkMethod = TopkMethod::kGroupLimitedGreedy;
  } else if (method == "noaux_tc") {
    c.topkMethod = TopkMethod::kNoauxTc;
  } else {
    fail(ErrorCode::kUnsupported,
         "unsupported topk_method '" + method + "' (greedy, group_limited_greedy, noaux_tc)");
  }
  c.rmsNormEps = static_cast<float>(numberFieldOr(o, "rms_norm_eps", 1e-6, where));
  c.ropeTheta = numberFieldOr(o, "rope_theta", 10000.0, where);
  if (!isAbsent(o.Get("rope_scaling"))) {
    fail(ErrorCode::kUnsupported,
         "rope_scaling is not supported yet (no published DeepSeek-VL2 variant uses it)");
  }
  c.maxPositions = intOr(o, "max_position_embeddings", 4096, where);
  c.bosTokenId = intOr(o, "bos_token_id", 0, where);
  c.eosTokenId = intOr(o, "eos_token_id", 1, where);
  c.useMla = boolFieldOr(o, "use_mla", true, where);
  c.qLoraRank = intOr(o, "q_lora_rank", 0, where);
  c.kvLoraRank = intOr(o, "kv_lora_rank", 0, where);
  c.qkNopeHeadDim = intOr(o, "qk_nope_head_dim", 0, where);
  c.qkRopeHeadDim = intOr(o, "qk_rope_head_dim", 0, where);
  c.vHeadDim = intOr(o, "v_head_dim", 0, where);
  return c;
}

DType dtypeFromName(const std::string& name, const std::string& tensor) {
  if (name == "BF16") return DType::kBF16;
  if (name == "F16") return DType::kF16;
  if (name == "F32") return DType::kF32;
  fail(ErrorCode::kUnsupported, "tensor " + tensor + " has dtype " + name + " (BF16, F16 or F32 expected)");
}

}  // namespace

CheckpointFromJs checkpointFromJs(const Napi::Object& table) {
  CheckpointFromJs out;
  Napi::Value files = table.Get("files");
  if (!files.IsArray()) fail(ErrorCode::kInvalidArgument, "checkpoint.files must be an array of paths");
  Napi::Array fileArray = files.As<Napi::Array>();
  for (std::uint32_t i = 0; i < fileArray.Length(); ++i)
    out.files.push_back(fileArray.Get(i).ToString().Utf8Value());

  Napi::Value tensors = table.Get("tensors");
  if (!tensors.IsArray()) fail(ErrorCode::kInvalidArgument, "checkpoint.tensors must be an array");
  Napi::Array tensorArray = tensors.As<Napi::Array>();
  out.records.reserve(tensorArray.Length());
  for (std::uint32_t i = 0; i < tensorArray.Length(); ++i) {
    if (!tensorArray.Get(i).IsObject()) fail(ErrorCode::kInvalidArgument, "checkpoint.tensors holds objects");
    Napi::Object entry = tensorArray.Get(i).As<Napi::Object>();
    TensorRecord record;
    record.name = stringFieldOr(entry, "name", "", "tensor");
    const std::string where = "tensor " + record.name;
    record.fileIndex = static_cast<int>(integerField(entry, "file", 0, INT32_MAX, where));
    record.offset = static_cast<std::uint64_t>(integerField(entry, "offset", 0, kMaxSafeInteger, where));
    record.byteLength =
        static_cast<std::uint64_t>(integerField(entry, "byteLength", 0, kMaxSafeInteger, where));
    record.dtype = dtypeFromName(stringFieldOr(entry, "dtype", "", where), record.name);
    for (std::int32_t d : int32ArrayField(entry, "shape", where)) record.shape.push_back(d);
    out.records.push_back(std::move(record));
  }

  Napi::Object config = objectField(table, "config", "checkpoint");
  out.config.language = languageFromJs(objectField(config, "language_config", "config"));
  Napi::Object vision = objectField(config, "vision_config", "config");
  out.config.vision.imageSize = intOr(vision, "image_size", 384, "vision_config");
  out.config.vision.patchSize = intOr(vision, "patch_size", 14, "vision_config");
  out.config.vision.layers = intOr(vision, "layers", 0, "vision_config");
  out.config.vision.heads = intOr(vision, "heads", 0, "vision_config");
  Napi::Object projector = objectField(config, "projector_config", "config");
  const std::string projectorType =
      stringFieldOr(projector, "projector_type", "downsample_mlp_gelu", "projector_config");
  if (projectorType != "downsample_mlp_gelu") {
    fail(ErrorCode::kUnsupported, "unsupported projector_type '" + projectorType + "' (downsample_mlp_gelu)");
  }
  out.config.projector.embedDim = intOr(projector, "n_embed", 0, "projector_config");
  out.config.projector.downsampleRatio = intOr(projector, "downsample_ratio", 2, "projector_config");
  return out;
}

}  // namespace vl2::napi
