// Content hashes of a prompt for prefix caching: one per image (its tiles and
// tiling), and one per full KV block of the prompt, chained so that a block's
// hash covers everything before it. Image tokens hash as (image, index in its
// run), so the same ids with a different picture never match.
#pragma once

#include <cstdint>
#include <vector>

#include "model/model.h"

namespace vl2 {

// One hash per image of the prompt, in order.
std::vector<std::uint64_t> imageContentHashes(const PromptInput& prompt, std::int64_t tileBytes,
                                              const ModelConfig& config);
// One hash per full kKvBlockTokens block of the prompt; never 0.
std::vector<std::uint64_t> promptBlockHashes(const PromptInput& prompt,
                                             const std::vector<std::uint64_t>& images,
                                             const ModelConfig& config);

}  // namespace vl2
