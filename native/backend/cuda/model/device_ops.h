// The CUDA backend's projections: the tuned tensor-core GEMM when the shape allows it
// (k a multiple of 8, even n, 16-byte aligned rows), the shape-agnostic one otherwise, so
// callers never choose.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "backend/cuda/gemm/gemm.h"
#include "backend/cuda/generic/generic.h"
#include "backend/cuda/model/cuda_backend.h"

namespace vl2::cuda {

inline bool aligned16(const void* pointer) { return (reinterpret_cast<std::uintptr_t>(pointer) & 15) == 0; }

// VL2_CUDA_KERNELS=generic runs every GEMM and attention on the shape-agnostic kernels: when
// results differ, it tells a tuned kernel's fault from the graph's.
inline bool tunedKernels() {
  static const bool tuned = [] {
    const char* value = std::getenv("VL2_CUDA_KERNELS");
    return value == nullptr || std::strcmp(value, "generic") != 0;
  }();
  return tuned;
}

// y[rows, yStride] = x[rows, in] W^T (+ bias) (+ residual[rows, residualStride]).
template <class OutT>
void linear(const __nv_bfloat16* x, int rows, const DeviceLinear& w, OutT* y, int yStride,
            cudaStream_t stream, const __nv_bfloat16* residual = nullptr, int residualStride = 0) {
  const bool tuned = tunedKernels() && w.in % 8 == 0 && w.out % 2 == 0 && yStride % 2 == 0 && aligned16(x) &&
                     aligned16(w.weight) && (residual == nullptr || residualStride % 2 == 0);
  if (tuned) {
    gemm(x, w.weight, y, rows, w.out, w.in, yStride, GemmEpilogue{w.bias, residual, residualStride}, stream);
    return;
  }
  AnyGemm g;
  g.x = x;
  g.xStride = w.in;
  g.w = w.weight;
  g.wStride = w.in;
  g.bias = w.bias;
  g.residual = residual;
  g.residualStride = residualStride;
  g.yStride = yStride;
  g.m = rows;
  g.n = w.out;
  g.k = w.in;
  anyGemm(g, y, stream);
}

// h[rows, n] = SiLU(x gate^T) * (x up^T).
inline void gateUpSilu(const __nv_bfloat16* x, int rows, const DeviceLinear& gate, const DeviceLinear& up,
                       __nv_bfloat16* h, cudaStream_t stream) {
  require(gate.in % 8 == 0 && gate.out % 8 == 0 && aligned16(x),
          "gated MLP widths must be multiples of 8 on the GPU");
  gemmGateUpSilu(x, gate.weight, up.weight, h, rows, gate.out, gate.in, stream);
}

}  // namespace vl2::cuda
