// Row-wise normalisations and activations over fp32 activations.
#pragma once

#include <cstdint>

namespace vl2::cpu {

// x: [rows, width]; in place. RMSNorm in fp32: x * rsqrt(mean(x^2) + eps) * weight.
void rmsNorm(float* x, std::int64_t rows, std::int64_t width, const float* weight, float eps);
// out may equal x. LayerNorm with bias (SigLIP).
void layerNorm(const float* x, float* out, std::int64_t rows, std::int64_t width, const float* weight,
               const float* bias, float eps);
// SigLIP's MLP activation: GELU with the tanh approximation.
void geluTanh(float* x, std::int64_t count);
// The projector's activation: exact GELU with erf.
void geluErf(float* x, std::int64_t count);
// out = SiLU(gate) * up, elementwise over `count` values; out may equal gate.
void siluMul(const float* gate, const float* up, float* out, std::int64_t count);
void addInPlace(float* x, const float* y, std::int64_t count);

}  // namespace vl2::cpu
