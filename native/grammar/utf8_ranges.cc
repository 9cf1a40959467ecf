#include "grammar/utf8_ranges.h"

namespace vl2::grammar {
namespace {

int encode(std::uint32_t cp, std::uint8_t* bytes) {
  if (cp < 0x80) {
    bytes[0] = static_cast<std::uint8_t>(cp);
    return 1;
  }
  if (cp < 0x800) {
    bytes[0] = static_cast<std::uint8_t>(0xC0 | (cp >> 6));
    bytes[1] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    bytes[0] = static_cast<std::uint8_t>(0xE0 | (cp >> 12));
    bytes[1] = static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    bytes[2] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
    return 3;
  }
  bytes[0] = static_cast<std::uint8_t>(0xF0 | (cp >> 18));
  bytes[1] = static_cast<std::uint8_t>(0x80 | ((cp >> 12) & 0x3F));
  bytes[2] = static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F));
  bytes[3] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
  return 4;
}

// [lo, hi] within one encoding length. Splits until lo and hi differ only in trailing
// continuation bytes that span their full 80-BF range, where one range per byte is exact.
void split(std::uint32_t lo, std::uint32_t hi, std::vector<std::vector<ByteRange>>& out) {
  for (std::uint32_t boundary : {0x7Fu, 0x7FFu, 0xFFFFu}) {
    if (lo <= boundary && hi > boundary) {
      split(lo, boundary, out);
      split(boundary + 1, hi, out);
      return;
    }
  }
  if (hi < 0x80) {
    out.push_back({ByteRange{static_cast<std::uint8_t>(lo), static_cast<std::uint8_t>(hi)}});
    return;
  }
  for (int trailing = 1; trailing <= 3; ++trailing) {
    const std::uint32_t mask = (1u << (6 * trailing)) - 1;
    if ((lo & ~mask) == (hi & ~mask)) continue;
    if ((lo & mask) != 0) {
      split(lo, lo | mask, out);
      split((lo | mask) + 1, hi, out);
      return;
    }
    if ((hi & mask) != mask) {
      split(lo, (hi & ~mask) - 1, out);
      split(hi & ~mask, hi, out);
      return;
    }
  }
  std::uint8_t a[4];
  std::uint8_t b[4];
  const int length = encode(lo, a);
  encode(hi, b);
  std::vector<ByteRange> sequence;
  for (int i = 0; i < length; ++i) sequence.push_back(ByteRange{a[i], b[i]});
  out.push_back(std::move(sequence));
}

}  // namespace

void appendUtf8Sequences(std::uint32_t lo, std::uint32_t hi, std::vector<std::vector<ByteRange>>& out) {
  if (hi > kMaxCodePoint) hi = kMaxCodePoint;
  if (lo > hi) return;
  if (lo < 0xD800 && hi > 0xDFFF) {
    split(lo, 0xD7FF, out);
    split(0xE000, hi, out);
  } else if (hi < 0xD800 || lo > 0xDFFF) {
    split(lo, hi, out);
  } else if (lo < 0xD800) {
    split(lo, 0xD7FF, out);
  } else if (hi > 0xDFFF) {
    split(0xE000, hi, out);
  }
}

}  // namespace vl2::grammar
