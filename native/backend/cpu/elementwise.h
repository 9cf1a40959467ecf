// Row-wise normalisations and activations over fp32 activations. The large ones
// (SigLIP's GELU and LayerNorm, the SwiGLU product) split over the thread pool
// and run AVX2 kernels where the CPU has them.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace vl2::cpu {

// x: [rows, width]; in place. RMSNorm in fp32: x * rsqrt(mean(x^2) + eps) * weight.
void rmsNorm(float* x, std::int64_t rows, std::int64_t width, const float* weight, float eps);
// x, out: [rows, width]; out may equal x. LayerNorm with bias (SigLIP).
void layerNorm(ThreadPool& pool, const float* x, float* out, std::int64_t rows, std::int64_t width,
               const float* weight, const float* bias, float eps);
// SigLIP's MLP activation: GELU with the tanh approximation, in place over `count` values.
void geluTanh(ThreadPool& pool, float* x, std::int64_t count);
// The projector's activation: exact GELU with erf.
void geluErf(float* x, std::int64_t count);
// out = SiLU(gate) * up, elementwise over `count` values; out may equal gate.
void siluMul(ThreadPool& pool, const float* gate, const float* up, float* out, std::int64_t count);
void addInPlace(float* x, const float* y, std::int64_t count);

// The per-range kernels, one per instruction set (elementwise.cc, elementwise_avx2.cc).
namespace kernels {
void geluTanhGeneric(float* x, std::int64_t count);
void geluTanhAvx2(float* x, std::int64_t count);
void siluMulGeneric(const float* gate, const float* up, float* out, std::int64_t count);
void siluMulAvx2(const float* gate, const float* up, float* out, std::int64_t count);
// x[i] = e^(x[i] - shift) with the 2-ulp vector exp; returns their sum. The
// softmax of the bf16 precision (fp32 keeps the exact std::exp).
double expShiftedAvx2(float* x, std::int64_t count, float shift);
}  // namespace kernels

}  // namespace vl2::cpu
