// Loading the CUDA backend: weights to the device, derived tensors, the KV cache.
#include <cstdlib>
#include <string>

#include "backend/cuda/check.h"
#include "backend/cuda/model/cuda_backend.h"
#include "backend/cuda_face/cuda_backend.h"
#include "core/dtype.h"
#include "core/errors.h"

namespace vl2 {

std::unique_ptr<ModelBackend> createCudaBackend(const WeightStore& store, const ModelConfig& config,
                                                int device) {
  return std::make_unique<cuda::CudaBackend>(store, config, device);
}

namespace cuda {
namespace {

// Activations of the largest passes (a 64-tile vision pass of SigLIP-SO400M takes about 2 GB,
// a 2048-token step of Base about 1 GB) and CUDA graphs, kept free when the cache is sized from
// free memory.
constexpr std::size_t kActivationReserve = 6ull << 30;

int checkedDevice(int device) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    fail(ErrorCode::kCuda, std::string("no usable NVIDIA GPU: ") + cudaGetErrorString(status));
  }
  if (device < 0 || device >= count) {
    fail(ErrorCode::kInvalidArgument,
         "CUDA device " + std::to_string(device) + " does not exist (" + std::to_string(count) + " found)");
  }
  check(cudaSetDevice(device), "cudaSetDevice");
  return device;
}

}  // namespace

CudaBackend::CudaBackend(const WeightStore& store, const ModelConfig& config, int device)
    : config_(config), device_(checkedDevice(device)), memory_(device_) {
  cudaDeviceProp properties{};
  check(cudaGetDeviceProperties(&properties, device_), "cudaGetDeviceProperties");
  deviceName_ = properties.name;
  if (properties.major < 8) {
    fail(ErrorCode::kUnsupported,
         deviceName_ + " has compute capability " + std::to_string(properties.major) + "." +
             std::to_string(properties.minor) + "; the CUDA backend needs 8.0 (Ampere) or newer");
  }
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  weights_ = std::make_unique<DeviceWeights>(store, memory_);
  scratch_ = std::make_unique<Scratch>(memory_);
  loadVision(store);
  loadLanguage(store);
}

CudaBackend::~CudaBackend() {
  cudaSetDevice(device_);
  if (stream_) cudaStreamSynchronize(stream_);
  decodeGraphs_.reset();
  scratch_.reset();
  if (stream_) cudaStreamDestroy(stream_);
}

void CudaBackend::loadVision(const WeightStore&) {
  const DeviceWeights& w = *weights_;
  const VisionConfig& v = config_.vision;
  const int patchValues = 3 * v.patchSize * v.patchSize;
  patchEmbed_ = {w.bf16("vision.patch_embed.proj.weight"), w.bf16("vision.patch_embed.proj.bias"), v.width,
                 patchValues};
  positions_ = w.bf16("vision.pos_embed");
  auto linear = [&](const std::string& name, int out, int in, bool bias) {
    return DeviceLinear{w.bf16(name + ".weight"), bias ? w.bf16(name + ".bias") : nullptr, out, in};
  };
  for (int i = 0; i < v.layers; ++i) {
    const std::string p = "vision.blocks." + std::to_string(i) + ".";
    VisionBlock block;
    block.norm1Weight = w.bf16(p + "norm1.weight");
    block.norm1Bias = w.bf16(p + "norm1.bias");
    block.norm2Weight = w.bf16(p + "norm2.weight");
    block.norm2Bias = w.bf16(p + "norm2.bias");
    block.qkv = linear(p + "attn.qkv", 3 * v.width, v.width, true);
    block.proj = linear(p + "attn.proj", v.width, v.width, true);
    block.fc1 = linear(p + "mlp.fc1", v.mlpWidth, v.width, true);
    block.fc2 = linear(p + "mlp.fc2", v.width, v.mlpWidth, true);
    visionBlocks_.push_back(block);
  }
  visionNormWeight_ = w.bf16("vision.norm.weight");
  visionNormBias_ = w.bf16("vision.norm.bias");
  const int ratio = config_.projector.downsampleRatio;
  const int embed = config_.projector.embedDim;
  projectorFirst_ = linear("projector.layers.0", embed, v.width * ratio * ratio, true);
  projectorSecond_ = linear("projector.layers.2", embed, embed, true);
}

void CudaBackend::loadLanguage(const WeightStore& store) {
  DeviceWeights& w = *weights_;
  const LanguageConfig& c = config_.language;
  const int hidden = c.hiddenSize, heads = c.numHeads;
  auto linear = [&](const std::string& name, int out, int in) {
    return DeviceLinear{w.bf16(name + ".weight"), nullptr, out, in};
  };
  auto mlp = [&](const std::string& p, int width, DeviceLinear& gate, DeviceLinear& up, DeviceLinear& down) {
    gate = linear(p + "gate_proj", width, hidden);
    up = linear(p + "up_proj", width, hidden);
    down = linear(p + "down_proj", hidden, width);
  };
  for (int l = 0; l < c.numLayers; ++l) {
    const std::string p = "language.model.layers." + std::to_string(l) + ".";
    const std::string a = p + "self_attn.";
    Layer layer;
    layer.inputNorm = w.bf16(p + "input_layernorm.weight");
    layer.postNorm = w.bf16(p + "post_attention_layernorm.weight");
    if (!c.useMla) {
      const int width = heads * c.headDim();
      layer.q = linear(a + "q_proj", width, hidden);
      layer.k = linear(a + "k_proj", width, hidden);
      layer.v = linear(a + "v_proj", width, hidden);
      layer.o = linear(a + "o_proj", hidden, width);
    } else {
      const int qk = c.qkNopeHeadDim + c.qkRopeHeadDim, rank = c.kvLoraRank, nope = c.qkNopeHeadDim;
      if (c.qLoraRank > 0) {
        layer.qA = linear(a + "q_a_proj", c.qLoraRank, hidden);
        layer.qANorm = w.bf16(a + "q_a_layernorm.weight");
        layer.qB = linear(a + "q_b_proj", heads * qk, c.qLoraRank);
      } else {
        layer.q = linear(a + "q_proj", heads * qk, hidden);
      }
      layer.kvA = linear(a + "kv_a_proj_with_mqa", rank + c.qkRopeHeadDim, hidden);
      layer.kvANorm = w.bf16(a + "kv_a_layernorm.weight");
      layer.kvB = w.bf16(a + "kv_b_proj.weight");
      // W_UK^T per head, so q_lat = q_nope W_UK runs as x W^T; transposing bf16 is exact.
      const std::uint16_t* kvB = store.get(a + "kv_b_proj.weight").bf16();
      std::vector<std::uint16_t> absorb(static_cast<std::size_t>(heads) * rank * nope);
      for (int h = 0; h < heads; ++h)
        for (int n = 0; n < nope; ++n)
          for (int r = 0; r < rank; ++r)
            absorb[(static_cast<std::size_t>(h) * rank + r) * nope + n] =
                kvB[(static_cast<std::size_t>(h) * (nope + c.vHeadDim) + n) * rank + r];
      layer.keyAbsorb = reinterpret_cast<const __nv_bfloat16*>(w.upload(absorb));
      layer.o = linear(a + "o_proj", hidden, heads * c.vHeadDim);
    }
    if (c.isMoeLayer(l)) {
      layer.moe = true;
      const std::string m = p + "mlp.";
      layer.router = linear(m + "gate", c.routedExperts, hidden);
      if (c.topkMethod == TopkMethod::kNoauxTc)
        layer.correctionBias = w.upload(widenToFloat(store.get(m + "gate.e_score_correction_bias")));
      std::vector<const __nv_bfloat16*> gates, ups, downs;
      for (int e = 0; e < c.routedExperts; ++e) {
        const std::string x = m + "experts." + std::to_string(e) + ".";
        gates.push_back(w.bf16(x + "gate_proj.weight"));
        ups.push_back(w.bf16(x + "up_proj.weight"));
        downs.push_back(w.bf16(x + "down_proj.weight"));
      }
      layer.expertGate = w.upload(gates);
      layer.expertUp = w.upload(ups);
      layer.expertDown = w.upload(downs);
      mlp(m + "shared_experts.", c.moeIntermediateSize * c.sharedExperts, layer.sharedGate, layer.sharedUp,
          layer.sharedDown);
    } else {
      mlp(p + "mlp.", c.intermediateSize, layer.gate, layer.up, layer.down);
    }
    layers_.push_back(layer);
  }
  finalNorm_ = w.bf16("language.model.norm.weight");
  lmHead_ = linear("language.lm_head", c.vocabSize, hidden);
}

std::int64_t CudaBackend::cacheBlocksFor(double fraction) const {
  check(cudaSetDevice(device_), "cudaSetDevice");
  size_t freeBytes = 0, totalBytes = 0;
  check(cudaMemGetInfo(&freeBytes, &totalBytes), "cudaMemGetInfo");
  if (freeBytes <= kActivationReserve) return 0;
  const double budget = static_cast<double>(freeBytes - kActivationReserve) * fraction;
  const double blockBytes = static_cast<double>(config_.language.numLayers) *
                            config_.language.kvCacheWidth() * kKvBlockTokens * sizeof(__nv_bfloat16);
  return static_cast<std::int64_t>(budget / blockBytes);
}

std::int64_t CudaBackend::cacheBytesPerToken() const {
  return static_cast<std::int64_t>(config_.language.numLayers) * config_.language.kvCacheWidth() *
         sizeof(__nv_bfloat16);
}

void CudaBackend::createCache(std::int64_t blocks) {
  check(cudaSetDevice(device_), "cudaSetDevice");
  // One block more than the allocator hands out: the spare that graph padding rows use.
  cacheRows_ = blocks * kKvBlockTokens + kKvBlockTokens;
  spareBlock_ = static_cast<std::int32_t>(blocks);
  const std::size_t bytes = static_cast<std::size_t>(cacheRows_) * cacheBytesPerToken();
  decodeGraphs_.reset();  // graphs hold pointers into the old cache
  if (cache_) memory_.release(cache_);
  cache_ = static_cast<__nv_bfloat16*>(memory_.allocate(bytes, MemoryUse::kKvCache));
  const char* graphs = std::getenv("VL2_CUDA_GRAPHS");
  if (graphs == nullptr || std::string(graphs) != "0") decodeGraphs_ = std::make_unique<DecodeGraphs>();
}

__nv_bfloat16* CudaBackend::cacheLayer(int layer, int part) const {
  const std::int64_t width = config_.language.kvCacheWidth();  // per layer, all parts
  const std::int64_t partWidth = config_.language.useMla ? width : width / 2;
  return cache_ + layer * cacheRows_ * width + part * cacheRows_ * partWidth;
}

BackendMemory CudaBackend::memory() const {
  BackendMemory report;
  report.device = deviceName_;
  report.weightBytes = memory_.bytesInUse(MemoryUse::kWeights);
  report.cacheBytes = memory_.bytesInUse(MemoryUse::kKvCache);
  report.activationBytes = memory_.bytesInUse(MemoryUse::kActivations);
  cudaSetDevice(device_);
  size_t freeBytes = 0, totalBytes = 0;
  if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess) report.freeBytes = freeBytes;
  cudaGetLastError();
  return report;
}

}  // namespace cuda
}  // namespace vl2
