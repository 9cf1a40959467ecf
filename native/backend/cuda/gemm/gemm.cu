// Plain and gate-up GEMM launchers (see gemm.h).
#include <atomic>

#include "backend/cuda/gemm/dispatch.cuh"
#include "backend/cuda/gemm/gemm.h"

namespace vl2::cuda {

namespace {

std::atomic<GemmPath> selectedPath{GemmPath::kAuto};

gemmk::GemmParams plainParams(const __nv_bfloat16* x, const __nv_bfloat16* w, void* y, int m, int n, int k,
                              int yStride, const GemmEpilogue& epilogue) {
  gemmk::GemmParams p = gemmk::gemmShape(x, m, n, k, y, yStride);
  p.w = w;
  p.bias = epilogue.bias;
  p.residual = epilogue.residual;
  p.residualStride = epilogue.residualStride;
  return p;
}

}  // namespace

void setGemmPath(GemmPath path) { selectedPath.store(path, std::memory_order_relaxed); }
GemmPath gemmPath() { return selectedPath.load(std::memory_order_relaxed); }

void gemm(const __nv_bfloat16* x, const __nv_bfloat16* w, __nv_bfloat16* y, int m, int n, int k, int yStride,
          const GemmEpilogue& epilogue, cudaStream_t stream) {
  gemmk::runDense<false, __nv_bfloat16>(plainParams(x, w, y, m, n, k, yStride, epilogue), stream);
}

void gemm(const __nv_bfloat16* x, const __nv_bfloat16* w, float* y, int m, int n, int k, int yStride,
          const GemmEpilogue& epilogue, cudaStream_t stream) {
  gemmk::runDense<false, float>(plainParams(x, w, y, m, n, k, yStride, epilogue), stream);
}

void gemmGateUpSilu(const __nv_bfloat16* x, const __nv_bfloat16* gate, const __nv_bfloat16* up,
                    __nv_bfloat16* h, int m, int n, int k, cudaStream_t stream) {
  gemmk::GemmParams p = plainParams(x, gate, h, m, n, k, n, GemmEpilogue{});
  p.wUp = up;
  gemmk::runDense<true, __nv_bfloat16>(p, stream);
}

}  // namespace vl2::cuda
