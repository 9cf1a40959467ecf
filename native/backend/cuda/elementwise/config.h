// Block shapes of the row-wise and elementwise kernels.
#pragma once

namespace vl2::cuda::elementwise {

// Norms: one block a row; hidden sizes are 1152..2560, so 256 threads hold a row in
// registers with 8 values (one 16-byte load) a thread at most 5 times over.
constexpr int kNormThreads = 256;
constexpr int kNormMaxValuesPerThread = 8 * 8;  // dims up to 16384
// Flat elementwise kernels: 8 bf16 (16 bytes) a thread.
constexpr int kFlatThreads = 256;
constexpr int kFlatVector = 8;
// RoPE: one block a token over all its heads' pairs (Base q: 32 heads x 32 pairs).
constexpr int kRopeThreads = 1024;
// Argmax over a vocabulary row (greedy sampling): one block a row.
constexpr int kArgmaxThreads = 1024;

}  // namespace vl2::cuda::elementwise
