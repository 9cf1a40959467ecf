// AVX2 passes (compiled with -mavx2, called only after the CPU reports AVX2). Still exact: PIL's
// int32 sums, only computed several at a time.
//
// Horizontal: pmaddwd on int16 pairs with each 22-bit weight split in two (VectorTaps, resample_taps.h);
// the partial sums recombine as (high_sum << 15) + low_sum, both within int32, so the total is the exact
// int32 sum. One 256-bit step covers four taps of one pixel's three channels; four rows share each
// weight load.
// Vertical: eight bytes of a row widened to int32 and multiplied by the row's weight (vpmulld), 32
// output bytes per step so the source rows stream through the cache once per output row.
#include <immintrin.h>

#include <cstring>

#include "image/resample_scalar.h"

namespace vl2::image::kernels {
namespace {

// Rows that share each weight load: 2 x 4 accumulators, 2 weights and a pixel vector fit the 16
// registers.
constexpr int kRowsPerStep = 4;

// 16 bytes from pixel k on: lane 0 gets pixels k, k+1 as int16 [r r g g b b 0 0], lane 1 pixels k+2, k+3.
inline __m256i pixelPairs(const std::uint8_t* p) {
  const __m256i shuffle = _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1,  //
                                           6, -1, 9, -1, 7, -1, 10, -1, 8, -1, 11, -1, -1, -1, -1, -1);
  return _mm256_shuffle_epi8(
      _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), shuffle);
}

// The exact sum from the two partial sums (both lanes), rounded and clipped; writes three bytes.
inline void storePixel(__m256i high, __m256i low, std::uint8_t* out) {
  const __m256i both = _mm256_add_epi32(_mm256_slli_epi32(high, kWeightSplitBits), low);
  __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(both), _mm256_extracti128_si256(both, 1));
  sum = _mm_srai_epi32(_mm_add_epi32(sum, _mm_set1_epi32(kRoundingHalf)), kPrecisionBits);
  const __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(sum, sum), sum);
  const std::uint32_t rgbx = static_cast<std::uint32_t>(_mm_cvtsi128_si32(bytes));
  std::memcpy(out, &rgbx, 3);
}

// Rows [y, y + Rows) of the output, sharing each weight load.
template <int Rows>
void horizontalRows(const RgbView& src, const VectorTaps& taps, int outSize, std::uint8_t* out, int y) {
  const std::size_t stride = static_cast<std::size_t>(src.width) * 3;
  const std::size_t outStride = static_cast<std::size_t>(outSize) * 3;
  const std::uint8_t* rows = src.data + static_cast<std::size_t>(y) * stride;
  std::uint8_t* outRows = out + static_cast<std::size_t>(y) * outStride;
  const int groups = taps.width / kVectorTapsPerGroup;
  for (int x = 0; x < outSize; ++x) {
    const std::uint8_t* p = rows + static_cast<std::size_t>(taps.first[x]) * 3;
    const std::int16_t* wh = taps.high.data() + static_cast<std::size_t>(x) * groups * kVectorGroupLanes;
    const std::int16_t* wl = taps.low.data() + static_cast<std::size_t>(x) * groups * kVectorGroupLanes;
    __m256i high[Rows], low[Rows];
    for (int r = 0; r < Rows; ++r) high[r] = low[r] = _mm256_setzero_si256();
    for (int g = 0; g < groups; ++g, p += kVectorTapsPerGroup * 3) {
      const __m256i weightHigh =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wh + g * kVectorGroupLanes));
      const __m256i weightLow =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wl + g * kVectorGroupLanes));
      for (int r = 0; r < Rows; ++r) {
        const __m256i pixels = pixelPairs(p + r * stride);
        high[r] = _mm256_add_epi32(high[r], _mm256_madd_epi16(pixels, weightHigh));
        low[r] = _mm256_add_epi32(low[r], _mm256_madd_epi16(pixels, weightLow));
      }
    }
    for (int r = 0; r < Rows; ++r) storePixel(high[r], low[r], outRows + r * outStride + x * 3);
  }
}

// Eight int32 products of row bytes [i, i + 8) and one weight.
inline __m256i products(const std::uint8_t* p, __m256i weight) {
  return _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))),
                            weight);
}

constexpr std::size_t kVerticalBytesPerStep = 32;

}  // namespace

void horizontalBandAvx2(const RgbView& src, const Taps& taps, const VectorTaps* vector, std::uint8_t* out,
                        int y0, int y1) {
  if (vector == nullptr) {
    horizontalBandGeneric(src, taps, nullptr, out, y0, y1);
    return;
  }
  // The last image row runs scalar: the vector loads read up to 4 bytes past a window's end.
  const int vectorEnd = y1 < src.height ? y1 : src.height - 1;
  int y = y0;
  for (; y + kRowsPerStep <= vectorEnd; y += kRowsPerStep)
    horizontalRows<kRowsPerStep>(src, *vector, taps.outSize, out, y);
  for (; y < vectorEnd; ++y) horizontalRows<1>(src, *vector, taps.outSize, out, y);
  for (; y < y1; ++y) horizontalPixelsScalar(src, taps, out, y, 0, taps.outSize);
}

void verticalBandAvx2(const RgbView& src, const Taps& taps, std::uint8_t* out, int y0, int y1) {
  const std::size_t stride = static_cast<std::size_t>(src.width) * 3;
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int y = y0; y < y1; ++y) {
    const std::int32_t* w = taps.weights.data() + static_cast<std::size_t>(y) * taps.maxTaps;
    const std::uint8_t* rows = src.data + static_cast<std::size_t>(taps.first[y]) * stride;
    std::uint8_t* o = out + static_cast<std::size_t>(y) * stride;
    std::size_t i = 0;
    for (; i + kVerticalBytesPerStep <= stride; i += kVerticalBytesPerStep) {
      __m256i a0 = _mm256_set1_epi32(kRoundingHalf), a1 = a0, a2 = a0, a3 = a0;
      for (int k = 0; k < taps.count[y]; ++k) {
        const __m256i weight = _mm256_set1_epi32(w[k]);
        const std::uint8_t* p = rows + k * stride + i;
        a0 = _mm256_add_epi32(a0, products(p, weight));
        a1 = _mm256_add_epi32(a1, products(p + 8, weight));
        a2 = _mm256_add_epi32(a2, products(p + 16, weight));
        a3 = _mm256_add_epi32(a3, products(p + 24, weight));
      }
      a0 = _mm256_srai_epi32(a0, kPrecisionBits);
      a1 = _mm256_srai_epi32(a1, kPrecisionBits);
      a2 = _mm256_srai_epi32(a2, kPrecisionBits);
      a3 = _mm256_srai_epi32(a3, kPrecisionBits);
      // packs/packus work within 128-bit lanes; the permute puts the 4-byte groups back in order.
      const __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(a0, a1), _mm256_packs_epi32(a2, a3));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + i), _mm256_permutevar8x32_epi32(bytes, order));
    }
    verticalBytesScalar(src, taps, out, y, i, stride);
  }
}

}  // namespace vl2::image::kernels
