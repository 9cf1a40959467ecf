// Element types of checkpoint tensors and the bf16 <-> fp32 conversions the CPU
// backend does in registers (bf16 is the upper half of an IEEE fp32).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace vl2 {

enum class DType { kBF16, kF16, kF32 };

inline std::size_t dtypeSize(DType dtype) { return dtype == DType::kF32 ? 4 : 2; }

inline const char* dtypeName(DType dtype) {
  switch (dtype) {
    case DType::kBF16: return "BF16";
    case DType::kF16: return "F16";
    case DType::kF32: return "F32";
  }
  return "?";
}

inline float bf16ToFloat(std::uint16_t bits) {
  std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof value);
  return value;
}

// Round to nearest even, as torch does when it casts fp32 to bf16.
inline std::uint16_t floatToBf16(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x40);  // NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>(bits >> 16);
}

}  // namespace vl2
