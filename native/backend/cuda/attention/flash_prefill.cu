// Flash-attention prefill launcher (see attention.h, flash_prefill.cuh).
#include "backend/cuda/attention/attention.h"
#include "backend/cuda/attention/flash_prefill.cuh"
#include "backend/cuda/check.h"

namespace vl2::cuda {

namespace {

bool aligned16(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

}  // namespace

void flashPrefill(const FlashTensor& q, const FlashTensor& k, const FlashTensor& v, const FlashOutput& out,
                  int batch, int heads, int kvHeads, int qLen, int kvLen, int qkDim, int vDim, float scale,
                  bool causal, cudaStream_t stream) {
  require(heads > 0 && kvHeads > 0 && heads % kvHeads == 0,
          "flash prefill: heads must be a multiple of kvHeads");
  require(qLen >= 0 && kvLen >= qLen && batch >= 0, "flash prefill: need kvLen >= qLen >= 0");
  // 16-byte copies: every row start must be 16-byte aligned.
  require(aligned16(q.data) && aligned16(k.data) && aligned16(v.data) && q.tokenStride % 8 == 0 &&
              q.headStride % 8 == 0 && k.tokenStride % 8 == 0 && k.headStride % 8 == 0 &&
              v.tokenStride % 8 == 0 && v.headStride % 8 == 0 && q.batchStride % 8 == 0 &&
              k.batchStride % 8 == 0 && v.batchStride % 8 == 0,
          "flash prefill: rows must start on 16-byte boundaries");
  if (qLen == 0 || batch == 0) return;
  attention::FlashParams p{};
  p.q = q.data;
  p.k = k.data;
  p.v = v.data;
  p.out = out.data;
  p.qToken = q.tokenStride;
  p.qHead = q.headStride;
  p.qBatch = q.batchStride;
  p.kToken = k.tokenStride;
  p.kHead = k.headStride;
  p.kBatch = k.batchStride;
  p.vToken = v.tokenStride;
  p.vHead = v.headStride;
  p.vBatch = v.batchStride;
  p.oToken = out.tokenStride;
  p.oHead = out.headStride;
  p.oBatch = out.batchStride;
  p.heads = heads;
  p.kvHeads = kvHeads;
  p.qLen = qLen;
  p.kvLen = kvLen;
  p.qkDim = qkDim;
  p.vDim = vDim;
  p.scale = scale;
  p.causal = causal;
  if (qkDim == 72 && vDim == 72)
    return attention::launchFlashPrefill<80, 80, attention::kFlashWarpsSmallHead>(
        p, batch, stream, "flashPrefillKernel(72, 72)");
  if (qkDim == 128 && vDim == 128)
    return attention::launchFlashPrefill<128, 128, attention::kFlashWarps>(p, batch, stream,
                                                                           "flashPrefillKernel(128, 128)");
  if (qkDim == 192 && vDim == 128)
    return attention::launchFlashPrefill<192, 128, attention::kFlashWarps>(p, batch, stream,
                                                                           "flashPrefillKernel(192, 128)");
  fail(ErrorCode::kUnsupported, "flash prefill: unsupported head dims (72/72, 128/128, 192/128)");
}

}  // namespace vl2::cuda
