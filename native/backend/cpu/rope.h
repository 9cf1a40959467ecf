// Rotary position embeddings in the two layouts DeepSeek-VL2 uses (SPEC section 6).
#pragma once

#include <cstdint>

namespace vl2::cpu {

// x: rows of `heads` vectors of `dim` values, row stride `rowStride` floats, head
// stride `headStride`; positions: [rows]. Half rotation (Tiny): value i pairs with
// i + dim/2. Interleaved (MLA): values 2i and 2i+1 form pair i.
void ropeHalf(float* x, std::int64_t rows, int heads, int dim, std::int64_t rowStride,
              std::int64_t headStride, const std::int32_t* positions, double theta);
void ropeInterleaved(float* x, std::int64_t rows, int heads, int dim, std::int64_t rowStride,
                     std::int64_t headStride, const std::int32_t* positions, double theta);

}  // namespace vl2::cpu
