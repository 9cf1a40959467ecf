// Code-point ranges as UTF-8 byte-range sequences, so a character class over Unicode can be
// matched one byte at a time: U+0080..U+07FF becomes [C2-DF][80-BF], and so on. Each sequence
// matches exactly the encodings of one sub-range; surrogates (U+D800..U+DFFF) have none.
#pragma once

#include <cstdint>
#include <vector>

namespace vl2::grammar {

struct ByteRange {
  std::uint8_t lo = 0;
  std::uint8_t hi = 0;
};

constexpr std::uint32_t kMaxCodePoint = 0x10FFFF;

// Byte-range sequences (1 to 4 ranges each) matching the UTF-8 encodings of [lo, hi].
void appendUtf8Sequences(std::uint32_t lo, std::uint32_t hi, std::vector<std::vector<ByteRange>>& out);

}  // namespace vl2::grammar
