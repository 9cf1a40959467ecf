// AVX-512 BF16 kernels (compiled with -mavx512f -mavx512bf16 -mavx512bw
// -mavx512vl, called only after cpuHasAvx512Bf16() in the bf16 precision mode).
// x is rounded to bf16 once per GEMM (roundRowsToBf16); vdpbf16ps then does
// two multiply-adds per fp32 lane with no widening of the weights: products of
// two bf16 values are exact in fp32, so the only new error is x's rounding.
// Three shapes of work, by rows of x: decode (1..4, weights streamed as stored),
// a few (5..16, 4 x 4 blocks over the stored weights), many (packed panels).
#include <immintrin.h>

#include "backend/cpu/matmul.h"

namespace vl2::cpu::kernels {
namespace {

// Elements of K per zmm of bf16 (16 lanes x a pair).
constexpr std::int64_t kBf16PerVector = 32;

inline __mmask32 tailMask32(std::int64_t count) {
  return count >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((std::uint32_t{1} << count) - 1);
}

inline __mmask16 tailMask16(std::int64_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << count) - 1);
}

// Vector types convert by C-style cast only (same bits, no instruction).
inline __m512bh asBf16(__m512i v) { return (__m512bh)v; }

// out += bias and the old y (when asked), for `valid` lanes of the 16 columns at y.
inline void storeColumns(float* y, __m512 sums, const float* bias, bool accumulate, __mmask16 valid) {
  if (bias) sums = _mm512_add_ps(sums, _mm512_maskz_loadu_ps(valid, bias));
  if (accumulate) sums = _mm512_add_ps(sums, _mm512_maskz_loadu_ps(valid, y));
  _mm512_mask_storeu_ps(y, valid, sums);
}

// The 8 lanes' sum (the decode path's 256-bit vectors).
inline float horizontalSum(__m256 v) {
  __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  half = _mm_add_ps(half, _mm_movehl_ps(half, half));
  half = _mm_add_ss(half, _mm_movehdup_ps(half));
  return _mm_cvtss_f32(half);
}

inline void storeOne(float* y, float sum, const float* bias, bool accumulate) {
  if (bias) sum += *bias;
  *y = accumulate ? *y + sum : sum;
}

// Rows of x few enough (decode) that packing the weights would cost more than
// it saves: weight rows stream once from memory in their stored layout (pairs of
// K are adjacent in both x and w, as vdpbf16ps wants them), one after another as
// they lie in memory, against every row of x. 256-bit vectors: streaming from
// memory, 512-bit loads ran at 18 GB/s on this EPYC where 256-bit ones ran at 23.
constexpr std::int64_t kDirectMaxRows = 4;
constexpr std::int64_t kBf16PerHalfVector = 16;
// Vectors of K per step: Rows x 4 independent sums hide vdpbf16ps's latency,
// which one sum per output would leave exposed.
constexpr int kDirectUnroll = 4;

inline __m256bh asBf16(__m256i v) { return (__m256bh)v; }

// Constant trip counts let GCC keep the sums in registers.
template <int Rows>
void directRows(const std::uint16_t* x, std::int64_t K, std::int64_t xStride, const std::uint16_t* w,
                std::int64_t n0, std::int64_t n1, std::int64_t N, const float* bias, float* y,
                bool accumulate) {
  constexpr std::int64_t kStep = kDirectUnroll * kBf16PerHalfVector;
  for (std::int64_t n = n0; n < n1; ++n) {
    const std::uint16_t* wr = w + n * K;
    __m256 acc[Rows][kDirectUnroll];
    for (int m = 0; m < Rows; ++m)
      for (int u = 0; u < kDirectUnroll; ++u) acc[m][u] = _mm256_setzero_ps();
    std::int64_t k = 0;
    for (; k + kStep <= K; k += kStep) {
      for (int u = 0; u < kDirectUnroll; ++u) {
        const std::int64_t at = k + u * kBf16PerHalfVector;
        const __m256bh wv = asBf16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + at)));
        for (int m = 0; m < Rows; ++m) {
          const __m256bh xv =
              asBf16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + m * xStride + at)));
          acc[m][u] = _mm256_dpbf16_ps(acc[m][u], xv, wv);
        }
      }
    }
    // The last vectors are masked to K: the row ends there (an odd K reads no
    // element of the next row), and x's pad element is zero anyway.
    for (; k < K; k += kBf16PerHalfVector) {
      const __mmask16 mask = tailMask16(K - k);
      const __m256bh wv = asBf16(_mm256_maskz_loadu_epi16(mask, wr + k));
      for (int m = 0; m < Rows; ++m) {
        const __m256bh xv = asBf16(_mm256_maskz_loadu_epi16(mask, x + m * xStride + k));
        acc[m][0] = _mm256_dpbf16_ps(acc[m][0], xv, wv);
      }
    }
    for (int m = 0; m < Rows; ++m) {
      __m256 sum = acc[m][0];
      for (int u = 1; u < kDirectUnroll; ++u) sum = _mm256_add_ps(sum, acc[m][u]);
      storeOne(y + m * N + n, horizontalSum(sum), bias ? bias + n : nullptr, accumulate);
    }
  }
}

// Rows of x between decode and the packed panels (a prompt's rarely chosen
// experts): packing a 64-row panel costs more than the GEMM it feeds. Instead 4
// weight rows stay in L1 as stored while the x rows pass them 4 at a time: 16
// independent sums, 8 loads per 16 vdpbf16ps, one reduction per output. Probe,
// 2 threads, K 1280, N 896: M = 8 in 68 us against 127 packed; packed wins from
// M = 24 (146 against 174 us).
constexpr std::int64_t kMidMaxRows = 16;
constexpr int kMidWeightRows = 4;
constexpr int kMidXRows = 4;

// The 16 lanes' sum by halving in registers; the zero-masked shuffles (all lanes
// kept) because GCC 12's unmasked ones trip -Wmaybe-uninitialized in its headers.
inline float horizontalSum(__m512 v) {
  constexpr __mmask16 all = 0xffff;
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(all, v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(all, v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_ps(v, _mm512_maskz_permute_ps(all, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_maskz_permute_ps(all, v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm512_cvtss_f32(v);
}

// sums[m][j] = x row m . weight row j, for Rows rows of x (row stride xStride).
// sums[m][j] = x row m . weight row j for 4 rows of x (row stride xStride; rows
// past M are roundRowsToBf16's zero padding). Sixteen named sums: arrays of
// vectors this large GCC keeps on the stack, storing every sum each step.
void midBlock(const std::uint16_t* x, std::int64_t xStride, const std::uint16_t* const rows[kMidWeightRows],
              std::int64_t K, float sums[kMidXRows][kMidWeightRows]) {
  static_assert(kMidWeightRows == 4 && kMidXRows == 4, "sixteen named sums");
  __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00,
         a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
  // Masked to K as in the decode path: no row reads into the next.
  for (std::int64_t k = 0; k < K; k += kBf16PerVector) {
    const __mmask32 mask = tailMask32(K - k);
    const __m512bh w0 = asBf16(_mm512_maskz_loadu_epi16(mask, rows[0] + k));
    const __m512bh w1 = asBf16(_mm512_maskz_loadu_epi16(mask, rows[1] + k));
    const __m512bh w2 = asBf16(_mm512_maskz_loadu_epi16(mask, rows[2] + k));
    const __m512bh w3 = asBf16(_mm512_maskz_loadu_epi16(mask, rows[3] + k));
    __m512bh xv = asBf16(_mm512_maskz_loadu_epi16(mask, x + k));
    a00 = _mm512_dpbf16_ps(a00, xv, w0);
    a01 = _mm512_dpbf16_ps(a01, xv, w1);
    a02 = _mm512_dpbf16_ps(a02, xv, w2);
    a03 = _mm512_dpbf16_ps(a03, xv, w3);
    xv = asBf16(_mm512_maskz_loadu_epi16(mask, x + xStride + k));
    a10 = _mm512_dpbf16_ps(a10, xv, w0);
    a11 = _mm512_dpbf16_ps(a11, xv, w1);
    a12 = _mm512_dpbf16_ps(a12, xv, w2);
    a13 = _mm512_dpbf16_ps(a13, xv, w3);
    xv = asBf16(_mm512_maskz_loadu_epi16(mask, x + 2 * xStride + k));
    a20 = _mm512_dpbf16_ps(a20, xv, w0);
    a21 = _mm512_dpbf16_ps(a21, xv, w1);
    a22 = _mm512_dpbf16_ps(a22, xv, w2);
    a23 = _mm512_dpbf16_ps(a23, xv, w3);
    xv = asBf16(_mm512_maskz_loadu_epi16(mask, x + 3 * xStride + k));
    a30 = _mm512_dpbf16_ps(a30, xv, w0);
    a31 = _mm512_dpbf16_ps(a31, xv, w1);
    a32 = _mm512_dpbf16_ps(a32, xv, w2);
    a33 = _mm512_dpbf16_ps(a33, xv, w3);
  }
  const __m512 results[kMidXRows][kMidWeightRows] = {
      {a00, a01, a02, a03}, {a10, a11, a12, a13}, {a20, a21, a22, a23}, {a30, a31, a32, a33}};
  for (int m = 0; m < kMidXRows; ++m)
    for (int j = 0; j < kMidWeightRows; ++j) sums[m][j] = horizontalSum(results[m][j]);
}

void midRows(const std::uint16_t* x, std::int64_t M, std::int64_t K, std::int64_t xStride,
             const std::uint16_t* w, std::int64_t n0, std::int64_t n1, std::int64_t N, const float* bias,
             float* y, bool accumulate) {
  for (std::int64_t n = n0; n < n1; n += kMidWeightRows) {
    const int count = static_cast<int>(n1 - n < kMidWeightRows ? n1 - n : kMidWeightRows);
    // Past `count`, the group's first row again (its sums are not stored): no branch in the loop.
    const std::uint16_t* rows[kMidWeightRows];
    for (int j = 0; j < kMidWeightRows; ++j) rows[j] = w + (n + (j < count ? j : 0)) * K;
    for (std::int64_t m = 0; m < M; m += kMidXRows) {
      const int block = static_cast<int>(M - m < kMidXRows ? M - m : kMidXRows);
      float sums[kMidXRows][kMidWeightRows];
      midBlock(x + m * xStride, xStride, rows, K, sums);
      for (int r = 0; r < block; ++r)
        for (int j = 0; j < count; ++j)
          storeOne(y + (m + r) * N + n + j, sums[r][j], bias ? bias + n + j : nullptr, accumulate);
    }
  }
}

// Many rows (prefill, vision): a packed-panel GEMM. kPanelColumns weight rows
// are interleaved once into [K/2][kPanelColumns][2] bf16 (one zmm per 16
// columns per pair of K, L2-resident); a kTileRows x kPanelColumns register tile
// then broadcasts one pair of x against it: 4 loads + 6 broadcasts feed 24
// vdpbf16ps, enough independent sums to cover the instruction's latency.
constexpr std::int64_t kPanelVectors = 4;
constexpr std::int64_t kPanelColumns = kPanelVectors * 16;
static_assert(kPanelColumns == kMatmulRowsPerTask, "one panel is one parallel task's weight rows");

// In-register transpose of a 16 x 16 block of 32-bit words: on return, v[c]
// holds word c of rows 0..15 in order. Zero-masked forms of the shuffles keep
// every lane (GCC 12's unmasked ones trip -Wmaybe-uninitialized in its headers).
inline void transpose16x16(__m512i v[16]) {
  constexpr __mmask16 all32 = 0xffff;
  constexpr __mmask8 all64 = 0xff;
  __m512i t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_maskz_unpacklo_epi32(all32, v[i], v[i + 1]);
    t[i + 1] = _mm512_maskz_unpackhi_epi32(all32, v[i], v[i + 1]);
  }
  // u[4g + c]: word 4L + c of rows 4g..4g+3 in each 128-bit lane L.
  for (int g = 0; g < 4; ++g) {
    u[4 * g] = _mm512_maskz_unpacklo_epi64(all64, t[4 * g], t[4 * g + 2]);
    u[4 * g + 1] = _mm512_maskz_unpackhi_epi64(all64, t[4 * g], t[4 * g + 2]);
    u[4 * g + 2] = _mm512_maskz_unpacklo_epi64(all64, t[4 * g + 1], t[4 * g + 3]);
    u[4 * g + 3] = _mm512_maskz_unpackhi_epi64(all64, t[4 * g + 1], t[4 * g + 3]);
  }
  for (int h = 0; h < 2; ++h) {
    for (int c = 0; c < 4; ++c) {
      t[8 * h + c] = _mm512_maskz_shuffle_i32x4(all32, u[8 * h + c], u[8 * h + c + 4], 0x88);
      t[8 * h + c + 4] = _mm512_maskz_shuffle_i32x4(all32, u[8 * h + c], u[8 * h + c + 4], 0xdd);
    }
  }
  for (int c = 0; c < 8; ++c) {
    v[c] = _mm512_maskz_shuffle_i32x4(all32, t[c], t[c + 8], 0x88);
    v[c + 8] = _mm512_maskz_shuffle_i32x4(all32, t[c], t[c + 8], 0xdd);
  }
}

// panel[p][j][0..1] = w[n + j][2p .. 2p + 1], zero past `valid` columns and past K.
// A pair of bf16 is one 32-bit word, so this is a word transpose of 64 rows,
// 16 rows x 16 pairs at a time in registers (scalar stores of pairs cost more
// than the GEMM below M ~ 80: the prompt's MoE experts get ~50 rows each).
void packPanel(const std::uint16_t* w, std::int64_t K, std::int64_t n, std::int64_t valid,
               std::uint16_t* panel) {
  const std::int64_t pairs = (K + 1) / 2;
  for (std::int64_t v = 0; v < kPanelVectors; ++v) {
    const std::int64_t rows = valid - 16 * v < 16 ? valid - 16 * v : 16;
    std::uint16_t* dst = panel + 32 * v;
    for (std::int64_t k = 0; k < K; k += kBf16PerVector) {
      // Masked to K: an odd K's last pair gets a zero pad, and no row reads into the next.
      const __mmask32 mask = tailMask32(K - k);
      __m512i block[16];
      for (std::int64_t r = 0; r < 16; ++r)
        block[r] =
            r < rows ? _mm512_maskz_loadu_epi16(mask, w + (n + 16 * v + r) * K + k) : _mm512_setzero_si512();
      transpose16x16(block);
      const std::int64_t first = k / 2;
      const std::int64_t count = pairs - first < 16 ? pairs - first : 16;
      for (std::int64_t q = 0; q < count; ++q)
        _mm512_storeu_si512(dst + (first + q) * 2 * kPanelColumns, block[q]);
    }
  }
}

constexpr int kTileRows = static_cast<int>(kBf16TileRows);

// y rows [0, rows) x panel columns [0, valid) from kTileRows rows of x (the
// rows past `rows` are zero padding, see roundRowsToBf16). Named accumulators,
// as in matmul_avx2.cc: arrays of vectors make GCC spill.
void panelTile(const std::uint16_t* x, std::int64_t xStride, std::int64_t pairs, const std::uint16_t* panel,
               std::int64_t valid, int rows, std::int64_t N, const float* bias, float* y, bool accumulate) {
  __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00,
         a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00,
         a40 = a00, a41 = a00, a42 = a00, a43 = a00, a50 = a00, a51 = a00, a52 = a00, a53 = a00;
  // A pair of bf16 is one 32-bit word: broadcast it to all 16 lanes.
  const auto* x0 = reinterpret_cast<const std::int32_t*>(x);
  const auto* x1 = reinterpret_cast<const std::int32_t*>(x + xStride);
  const auto* x2 = reinterpret_cast<const std::int32_t*>(x + 2 * xStride);
  const auto* x3 = reinterpret_cast<const std::int32_t*>(x + 3 * xStride);
  const auto* x4 = reinterpret_cast<const std::int32_t*>(x + 4 * xStride);
  const auto* x5 = reinterpret_cast<const std::int32_t*>(x + 5 * xStride);
  for (std::int64_t p = 0; p < pairs; ++p) {
    const std::uint16_t* b = panel + p * 2 * kPanelColumns;
    const __m512bh b0 = asBf16(_mm512_loadu_si512(b));
    const __m512bh b1 = asBf16(_mm512_loadu_si512(b + 32));
    const __m512bh b2 = asBf16(_mm512_loadu_si512(b + 64));
    const __m512bh b3 = asBf16(_mm512_loadu_si512(b + 96));
    __m512bh a = asBf16(_mm512_set1_epi32(x0[p]));
    a00 = _mm512_dpbf16_ps(a00, a, b0);
    a01 = _mm512_dpbf16_ps(a01, a, b1);
    a02 = _mm512_dpbf16_ps(a02, a, b2);
    a03 = _mm512_dpbf16_ps(a03, a, b3);
    a = asBf16(_mm512_set1_epi32(x1[p]));
    a10 = _mm512_dpbf16_ps(a10, a, b0);
    a11 = _mm512_dpbf16_ps(a11, a, b1);
    a12 = _mm512_dpbf16_ps(a12, a, b2);
    a13 = _mm512_dpbf16_ps(a13, a, b3);
    a = asBf16(_mm512_set1_epi32(x2[p]));
    a20 = _mm512_dpbf16_ps(a20, a, b0);
    a21 = _mm512_dpbf16_ps(a21, a, b1);
    a22 = _mm512_dpbf16_ps(a22, a, b2);
    a23 = _mm512_dpbf16_ps(a23, a, b3);
    a = asBf16(_mm512_set1_epi32(x3[p]));
    a30 = _mm512_dpbf16_ps(a30, a, b0);
    a31 = _mm512_dpbf16_ps(a31, a, b1);
    a32 = _mm512_dpbf16_ps(a32, a, b2);
    a33 = _mm512_dpbf16_ps(a33, a, b3);
    a = asBf16(_mm512_set1_epi32(x4[p]));
    a40 = _mm512_dpbf16_ps(a40, a, b0);
    a41 = _mm512_dpbf16_ps(a41, a, b1);
    a42 = _mm512_dpbf16_ps(a42, a, b2);
    a43 = _mm512_dpbf16_ps(a43, a, b3);
    a = asBf16(_mm512_set1_epi32(x5[p]));
    a50 = _mm512_dpbf16_ps(a50, a, b0);
    a51 = _mm512_dpbf16_ps(a51, a, b1);
    a52 = _mm512_dpbf16_ps(a52, a, b2);
    a53 = _mm512_dpbf16_ps(a53, a, b3);
  }
  const __m512 results[kTileRows][kPanelVectors] = {{a00, a01, a02, a03}, {a10, a11, a12, a13},
                                                    {a20, a21, a22, a23}, {a30, a31, a32, a33},
                                                    {a40, a41, a42, a43}, {a50, a51, a52, a53}};
  for (int r = 0; r < rows; ++r) {
    for (std::int64_t v = 0; v < kPanelVectors && 16 * v < valid; ++v) {
      const __mmask16 mask = tailMask16(valid - 16 * v);
      storeColumns(y + r * N + 16 * v, results[r][v], bias ? bias + 16 * v : nullptr, accumulate, mask);
    }
  }
}

}  // namespace

// Round-to-nearest-even, as the GPU path rounds its activations; vcvtne2ps2bf16
// also flushes denormal inputs to zero (no larger than the rounding error itself).
void roundRowsToBf16(const float* x, std::int64_t m0, std::int64_t m1, std::int64_t K, std::uint16_t* out,
                     std::int64_t outStride) {
  for (std::int64_t m = m0; m < m1; ++m) {
    const float* src = x + m * K;
    std::uint16_t* dst = out + m * outStride;
    for (std::int64_t k = 0; k < outStride; k += kBf16PerVector) {
      const __m512 lo = _mm512_maskz_loadu_ps(tailMask16(K - k), src + k);
      const __m512 hi =
          K - k > 16 ? _mm512_maskz_loadu_ps(tailMask16(K - k - 16), src + k + 16) : _mm512_setzero_ps();
      const __m512i packed = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
      _mm512_mask_storeu_epi16(dst + k, tailMask32(outStride - k), packed);
    }
  }
}

void matmulRangeAvx512Bf16(const std::uint16_t* x, std::int64_t M, std::int64_t K, const std::uint16_t* w,
                           std::int64_t n0, std::int64_t n1, std::int64_t N, const float* bias, float* y,
                           bool accumulate, std::uint16_t* scratch) {
  const std::int64_t stride = bf16RowStride(K);
  static_assert(kDirectMaxRows == 4, "one directRows instance per row count");
  switch (M) {
    case 1: return directRows<1>(x, K, stride, w, n0, n1, N, bias, y, accumulate);
    case 2: return directRows<2>(x, K, stride, w, n0, n1, N, bias, y, accumulate);
    case 3: return directRows<3>(x, K, stride, w, n0, n1, N, bias, y, accumulate);
    case 4: return directRows<4>(x, K, stride, w, n0, n1, N, bias, y, accumulate);
    default: break;
  }
  if (M <= kMidMaxRows) {
    midRows(x, M, K, stride, w, n0, n1, N, bias, y, accumulate);
    return;
  }
  const std::int64_t pairs = stride / 2;
  for (std::int64_t n = n0; n < n1; n += kPanelColumns) {
    const std::int64_t valid = n1 - n < kPanelColumns ? n1 - n : kPanelColumns;
    packPanel(w, K, n, valid, scratch);
    for (std::int64_t m = 0; m < M; m += kTileRows) {
      const int rows = static_cast<int>(M - m < kTileRows ? M - m : kTileRows);
      panelTile(x + m * stride, stride, pairs, scratch, valid, rows, N, bias ? bias + n : nullptr,
                y + m * N + n, accumulate);
    }
  }
}

}  // namespace vl2::cpu::kernels
