// The CUDA backend: the vision tower, projector and decoder on one GPU in bf16 with fp32
// accumulation, over a bf16 paged KV cache in device memory. Tuned kernels where the
// shapes are the published ones (tensor-core GEMMs, grouped-GEMM experts, fused MLA and
// MHA decode, flash prefill), the shape-agnostic kernels of generic/ elsewhere.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/device_memory.h"
#include "backend/cuda/generic/generic.h"
#include "backend/cuda/model/device_weights.h"
#include "backend/cuda/model/scratch.h"
#include "core/model_config.h"

namespace vl2::cuda {

// A projection as the checkpoint stores it: weight [out, in], optional bias.
struct DeviceLinear {
  const __nv_bfloat16* weight = nullptr;
  const __nv_bfloat16* bias = nullptr;
  int out = 0, in = 0;
};

class CudaBackend : public ModelBackend {
 public:
  CudaBackend(const WeightStore& store, const ModelConfig& config, int device);
  ~CudaBackend() override;
  const char* name() const override { return "cuda"; }
  void createCache(std::int64_t blocks) override;
  std::int64_t cacheBytesPerToken() const override;
  std::int64_t cacheBlocksFor(double fraction) const override;
  void encodeTiles(const std::uint8_t* tiles, std::int64_t count, float* out,
                   TileCaptures* firstTile) override;
  std::vector<float> forward(const StepBatch& batch, const float* x, StepCaptures* captures) override;
  std::vector<TokenChoice> forwardAndChoose(const StepBatch& batch, const float* x,
                                            const std::vector<ChoiceRequest>& choices) override;
  BackendMemory memory() const override;

 private:
  struct VisionBlock {
    const __nv_bfloat16 *norm1Weight, *norm1Bias, *norm2Weight, *norm2Bias;
    DeviceLinear qkv, proj, fc1, fc2;
  };
  struct Layer {
    const __nv_bfloat16 *inputNorm, *postNorm;
    DeviceLinear q, k, v, o;   // plain multi-head (q also MLA without q compression)
    DeviceLinear qA, qB, kvA;  // MLA
    const __nv_bfloat16 *qANorm = nullptr, *kvANorm = nullptr;
    const __nv_bfloat16* keyAbsorb = nullptr;  // [heads][rank][nope]: W_UK^T per head
    const __nv_bfloat16* kvB = nullptr;        // [heads * (nope + v), rank]
    DeviceLinear gate, up, down;               // dense MLP
    DeviceLinear router;                       // MoE
    const float* correctionBias = nullptr;
    const __nv_bfloat16* const* expertGate = nullptr;  // device arrays of expert weight pointers
    const __nv_bfloat16* const* expertUp = nullptr;
    const __nv_bfloat16* const* expertDown = nullptr;
    DeviceLinear sharedGate, sharedUp, sharedDown;
    bool moe = false;
  };
  // Where one step's rows go: uploaded per step (block tables, slots, positions).
  struct StepLayout;

  // A step's indices and input embeddings uploaded into scratch; paddedRows > rows pads a
  // decode batch for a graph, blockColumns / seqLenBound fix the block-table width and the
  // decode kernels' length bound (0: the batch's own).
  StepLayout uploadStep(const StepBatch& batch, const float* x, int paddedRows, int blockColumns,
                        int seqLenBound);
  // The decoder from the uploaded embeddings to the logits, kernels only (capturable):
  // [segments, vocab] fp32 in scratch.
  float* runDecoder(const StepLayout& step, StepCaptures* captures);
  // A decode-only step through the CUDA graph of its bucket (captured on first use or when
  // the scratch moved); null when the batch is too large for graphs.
  float* replayDecodeGraph(const StepBatch& batch, const float* x);
  // The projector over SigLIP's output x [tiles x patches, width] into out [tiles x groups, embed]
  // fp32 on the host (the copy is queued on the stream; the caller synchronises).
  void project(const __nv_bfloat16* x, int tileCount, float* out);
  void loadVision(const WeightStore& store);
  void loadLanguage(const WeightStore& store);
  void attention(const Layer& layer, int index, const StepLayout& step, const __nv_bfloat16* normed,
                 __nv_bfloat16* x);
  void multiHeadAttention(const Layer& layer, int index, const StepLayout& step, const __nv_bfloat16* normed,
                          __nv_bfloat16* x);
  void latentAttention(const Layer& layer, int index, const StepLayout& step, const __nv_bfloat16* normed,
                       __nv_bfloat16* x);
  // MLA attention of a prompt's first chunk (rows [first, first + count)) through flash
  // attention on expanded keys and values, into attended [rows, heads, v].
  void expandedPrefill(const Layer& layer, const __nv_bfloat16* kv, const __nv_bfloat16* q,
                       const __nv_bfloat16* qRope, int first, int count, __nv_bfloat16* attended);
  // capturedExperts (optional): gets the routed experts of each row in captureRows, ascending per row;
  // capturedScores (optional, with it): their router scores over every routed expert
  // (StepCaptures::routerScores).
  void feedForward(const Layer& layer, int rows, const __nv_bfloat16* normed, __nv_bfloat16* x,
                   const std::vector<std::int64_t>* captureRows, std::vector<std::int32_t>* capturedExperts,
                   std::vector<float>* capturedScores = nullptr);
  void captureRow(const __nv_bfloat16* row, std::vector<float>& into);
  // Points a shape-agnostic attention at rows [first, first + count) of the step over the paged cache.
  static void pagedRows(AnyAttention& a, const StepLayout& step, int first, int count);
  __nv_bfloat16* cacheLayer(int layer, int part) const;  // part 0: K or latent, 1: V

  ModelConfig config_;
  int device_;
  std::string deviceName_;
  DeviceMemory memory_;
  std::unique_ptr<DeviceWeights> weights_;
  std::unique_ptr<Scratch> scratch_;
  cudaStream_t stream_ = nullptr;
  // Vision.
  DeviceLinear patchEmbed_;
  const __nv_bfloat16* positions_ = nullptr;
  std::vector<VisionBlock> visionBlocks_;
  const __nv_bfloat16 *visionNormWeight_ = nullptr, *visionNormBias_ = nullptr;
  DeviceLinear projectorFirst_, projectorSecond_;
  // Language.
  std::vector<Layer> layers_;
  const __nv_bfloat16* finalNorm_ = nullptr;
  DeviceLinear lmHead_;
  // KV cache: per layer one array (MLA latent | rope key) or two (K, V) of blocks * 64 rows,
  // the last block a spare that graph padding rows write and read.
  __nv_bfloat16* cache_ = nullptr;
  std::int64_t cacheRows_ = 0;
  std::int32_t spareBlock_ = 0;
  struct DecodeGraph {
    cudaGraphExec_t exec = nullptr;
    std::uint64_t generation = 0;
    const void* inputs = nullptr;  // where the step's indices were when captured
    std::size_t mark = 0;          // scratch in use after the captured pass
    float* logits = nullptr;
  };
  struct DecodeGraphs {
    std::map<std::pair<int, int>, DecodeGraph> graphs;
    ~DecodeGraphs() {
      for (auto& entry : graphs)
        if (entry.second.exec) cudaGraphExecDestroy(entry.second.exec);
    }
  };
  std::unique_ptr<DecodeGraphs> decodeGraphs_;  // null: VL2_CUDA_GRAPHS=0
};

}  // namespace vl2::cuda
