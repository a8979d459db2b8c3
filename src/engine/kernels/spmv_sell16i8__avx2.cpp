// AVX2 kernel over the sell16 layout (layer_plan.h) in 8-bit arithmetic: EngineOptions::precision int8 where the
// kernels are AVX2's (CPUs without AVX-512 VNNI and VBMI, or --kernel avx2). The layout is the fp32 AVX2 kernel's,
// one byte per slot (column within the window << 4 | code), so int8 reads no more bytes per stored entry than
// fp32 does; the input is quantized as by every int8 kernel (quantized_input.h) and the codebook is the 8-bit one
// of sell16x4 (SellArgs::int8_table, weight_scale, row_weight_sums), so the error bound is the same, and so are the
// outputs: the int32 sums are exact in both kernels.
// One 256-bit vector holds two tiers of a slice, 16 slots each (one per row). vpshufb decodes both nibbles within
// each 128-bit lane: the code through the 16-byte table, the column through the tier's 16 quantized activations.
// vpmaddubsw multiplies twice, once with the odd bytes of the activations zeroed and once with the even ones, so
// that no pair sum (up to 2 * 255 * 127) saturates 16 bits: each 16-bit lane holds one exact product. vpmaddwd
// against (1, 0) and (0, 1) then widens them into four int32 accumulators, of rows 4i, 4i + 1, 4i + 2 and 4i + 3.
// Per two tiers (32 slots): the slots, two 16-byte windows and two window starts loaded, three logic ops for the
// nibbles, two vpshufb, two ANDs, two vpmaddubsw, four vpmaddwd and four adds; stored masks (codebooks without a
// reserved zero) cost five more. GCC 12 makes 25 instructions of it (the fp32 kernel: 61 per two tiers). A batch
// runs in chunks of two inputs, each pair of tiers decoded once for both: 22 instructions per input.
#include "engine/kernels/intrinsics.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "engine/kernels/finish_half__avx2.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantized_input.h"

namespace eie::engine {
namespace {

// Quantizes x (cols floats) into q (q_bytes bytes, zero past the input) as quantized_input.h says.
QuantizedInput quantize(const float* x, std::int64_t cols, std::uint8_t* q, std::int64_t q_bytes) {
  // One integer pass over the bits, as in the AVX-512 kernel: the largest magnitude and the largest pattern as
  // unsigned, above 0x80000000 exactly when some value is negative. Masked lanes read 0.
  const __m256i magnitude_bits = _mm256_set1_epi32(0x7fffffff);
  __m256i largest_magnitude = _mm256_setzero_si256(), largest_pattern = _mm256_setzero_si256();
  const auto scan = [&](__m256i v) {
    largest_magnitude = _mm256_max_epu32(largest_magnitude, _mm256_and_si256(v, magnitude_bits));
    largest_pattern = _mm256_max_epu32(largest_pattern, v);
  };
  std::int64_t c = 0;
  for (; c + 8 <= cols; c += 8) scan(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + c)));
  if (c < cols) scan(_mm256_maskload_epi32(reinterpret_cast<const int*>(x + c), first_lanes8(cols - c)));
  alignas(32) std::uint32_t magnitudes[8], patterns[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(magnitudes), largest_magnitude);
  _mm256_store_si256(reinterpret_cast<__m256i*>(patterns), largest_pattern);
  const QuantizedInput result = input_quantization(*std::max_element(magnitudes, magnitudes + 8),
                                                   *std::max_element(patterns, patterns + 8) > 0x80000000u);
  if (!result.finite) return result;
  const __m256 inverse = _mm256_set1_ps(1.0f / result.scale), scale = _mm256_set1_ps(result.scale);
  const __m256i offset = _mm256_set1_epi32(result.offset);
  // 32 values from x + c (the first n that exist) to bytes: nearest even, the offset, then saturated to 0..255
  // (rounding may leave a hair above 255) in two packs, whose lane-wise order one vpermd puts back.
  const auto bytes_of = [&](std::int64_t c0, std::int64_t n, auto divide) {
    __m256i v[4];
    for (int j = 0; j < 4; ++j) {
      const float* from = x + c0 + 8 * j;
      const __m256 f = n >= 32 ? _mm256_loadu_ps(from) : _mm256_maskload_ps(from, first_lanes8(n - 8 * j));
      const __m256 t = decltype(divide)::value ? _mm256_div_ps(f, scale) : _mm256_mul_ps(f, inverse);
      v[j] = _mm256_add_epi32(_mm256_cvtps_epi32(t), offset);
    }
    const __m256i packed = _mm256_packus_epi16(_mm256_packus_epi32(v[0], v[1]), _mm256_packus_epi32(v[2], v[3]));
    return _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  };
  const auto store = [&](auto divide) {
    std::int64_t c0 = 0;
    for (; c0 + 32 <= cols; c0 += 32) _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + c0), bytes_of(c0, 32, divide));
    if (c0 < cols) {
      alignas(32) std::uint8_t last[32];
      _mm256_store_si256(reinterpret_cast<__m256i*>(last), bytes_of(c0, cols - c0, divide));
      std::memcpy(q + c0, last, static_cast<std::size_t>(cols - c0));
    }
  };
  if (result.scale < kDivideBelowScale) {
    store(std::true_type{});
  } else {
    store(std::false_type{});
  }
  std::memset(q + cols, 0, static_cast<std::size_t>(q_bytes - cols));
  return result;
}

// Byte i: all ones where bit i of mask is set (tier k's 16 bits in the low lane, tier k + 1's in the high).
inline __m256i lanes_held(std::uint32_t mask) {
  const __m256i byte_of_bit = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                               2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(mask)), byte_of_bit);
  const __m256i bits = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bits), bits);
}

// The sums of a slice's products: acc[j]'s int32 lane i of each 128-bit half holds row 4i + j (low half: the even
// tiers, high half: the odd ones).
struct Sums {
  __m256i row0 = _mm256_setzero_si256(), row1 = _mm256_setzero_si256(), row2 = _mm256_setzero_si256(),
          row3 = _mm256_setzero_si256();
};

// Two tiers (or one, the high lane zero) decoded: each slot's 8-bit weight (0 where its lane holds no entry) and
// its column within the window, once for every input of a chunk.
struct Decoded {
  __m256i weights, columns;
};
template <bool Masks>
inline Decoded decode(__m256i slots, __m256i table, std::uint32_t mask) {
  const __m256i nibble = _mm256_set1_epi8(15);
  __m256i w = _mm256_shuffle_epi8(table, _mm256_and_si256(slots, nibble));
  if constexpr (Masks) w = _mm256_and_si256(w, lanes_held(mask));
  return {w, _mm256_and_si256(_mm256_srli_epi16(slots, 4), nibble)};
}

// The products of two decoded tiers with one input's windows (low lane: the first tier's) added into acc.
inline Sums multiply_add(const Decoded& d, __m256i window, Sums acc) {
  const __m256i xq = _mm256_shuffle_epi8(window, d.columns);
  const __m256i even_bytes = _mm256_set1_epi16(0x00ff);
  const __m256i even = _mm256_maddubs_epi16(_mm256_and_si256(xq, even_bytes), d.weights);    // row 2m in lane m
  const __m256i odd = _mm256_maddubs_epi16(_mm256_andnot_si256(even_bytes, xq), d.weights);  // row 2m + 1
  const __m256i low = _mm256_set1_epi32(1), high = _mm256_set1_epi32(0x10000);
  acc.row0 = _mm256_add_epi32(_mm256_madd_epi16(even, low), acc.row0);
  acc.row1 = _mm256_add_epi32(_mm256_madd_epi16(odd, low), acc.row1);
  acc.row2 = _mm256_add_epi32(_mm256_madd_epi16(even, high), acc.row2);
  acc.row3 = _mm256_add_epi32(_mm256_madd_epi16(odd, high), acc.row3);
  return acc;
}

// The int32 sums of eight rows from first_row scaled back to fp32, then bias and activation.
inline void finish_quantized(const SellArgs& a, std::int64_t first_row, __m256i sum, const QuantizedInput& input,
                             float* out) {
  if (input.offset != 0) {
    const __m256i sums = _mm256_maskload_epi32(a.row_weight_sums + first_row, first_lanes8(a.rows - first_row));
    sum = _mm256_sub_epi32(sum, _mm256_mullo_epi32(sums, _mm256_set1_epi32(input.offset)));
  }
  finish_half(a, first_row, _mm256_mul_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(a.weight_scale * input.scale)), out);
}

// Rows 4i + j (acc.row<j>, both halves added) in order, scaled back to fp32, then bias and activation.
inline void finish_slice(const SellArgs& a, std::int64_t s, const Sums& acc, const QuantizedInput& input, float* y) {
  const auto halves = [](__m256i v) {
    return _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  };
  const __m128i r0 = halves(acc.row0), r1 = halves(acc.row1), r2 = halves(acc.row2), r3 = halves(acc.row3);
  const __m128i rows_0145 = _mm_unpacklo_epi32(r0, r1), rows_89_1213 = _mm_unpackhi_epi32(r0, r1);
  const __m128i rows_2367 = _mm_unpacklo_epi32(r2, r3), rows_1011_1415 = _mm_unpackhi_epi32(r2, r3);
  const __m256i rows_0_7 =
      _mm256_set_m128i(_mm_unpackhi_epi64(rows_0145, rows_2367), _mm_unpacklo_epi64(rows_0145, rows_2367));
  const __m256i rows_8_15 = _mm256_set_m128i(_mm_unpackhi_epi64(rows_89_1213, rows_1011_1415),
                                             _mm_unpacklo_epi64(rows_89_1213, rows_1011_1415));
  finish_quantized(a, 16 * s, rows_0_7, input, y);
  finish_quantized(a, 16 * s + 8, rows_8_15, input, y);
}

// N quantized inputs at once, each pair of tiers loaded and decoded once for all of them. Window starts are
// columns (window_shift 0: the plan takes inputs of at most 65,536 columns).
template <bool Masks, int N>
void spmv_chunk(const SellArgs& a, const std::uint8_t* const* q, const QuantizedInput* const* inputs,
                float* const* y) {
  const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.int8_table)));
  const std::int64_t slices = (a.rows + 15) / 16;
  const auto window_at = [q](int i, std::uint32_t start) { return reinterpret_cast<const __m128i*>(q[i] + start); };
  for (std::int64_t s = 0; s < slices; ++s) {
    Sums acc[N];
    const std::uint32_t begin = a.layer_ptr[2 * s], end = a.layer_ptr[2 * s + 2];
    // Every window reads 16 bytes of q from a column of the input: q has them (sell16i8_input_bytes), so the
    // tiers past layer_ptr[2s + 1] need no masked load here.
    const std::uint8_t* slots = a.slots + 16 * std::size_t{begin};
    const std::uint16_t* starts = a.windows + begin;
    const std::uint16_t* masks = Masks ? a.masks + begin : nullptr;
    const std::uint16_t* const starts_end = a.windows + end;
    if (((end - begin) & 1u) != 0) {  // an odd tier first: the high lane's slots pick code 0 and column 0 of zeros
      const __m256i zero = _mm256_setzero_si256();
      const __m128i first = _mm_loadu_si128(reinterpret_cast<const __m128i*>(slots));
      const Decoded d = decode<Masks>(_mm256_inserti128_si256(zero, first, 0), table, Masks ? *masks : 0u);
      for (int i = 0; i < N; ++i) {
        acc[i] = multiply_add(d, _mm256_inserti128_si256(zero, _mm_loadu_si128(window_at(i, *starts)), 0), acc[i]);
      }
      ++starts;
      slots += 16;
      if constexpr (Masks) ++masks;
    }
    // Unrolled once, for the loop's bookkeeping: 25 instructions per two tiers for one input (31 without), 44 for
    // two.
#pragma GCC unroll 2
    for (; starts != starts_end; starts += 2, slots += 32) {
      std::uint32_t both;  // both tiers' window starts in one load, and their masks in another
      std::memcpy(&both, starts, sizeof both);
      std::uint32_t mask = 0;
      if constexpr (Masks) {
        std::memcpy(&mask, masks, sizeof mask);
        masks += 2;
      }
      const Decoded d = decode<Masks>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(slots)), table, mask);
      for (int i = 0; i < N; ++i) {
        acc[i] = multiply_add(d, _mm256_loadu2_m128i(window_at(i, both >> 16), window_at(i, both & 0xffff)), acc[i]);
      }
    }
    for (int i = 0; i < N; ++i) finish_slice(a, s, acc[i], *inputs[i], y[i]);
  }
}

template <bool Masks>
void spmv_finite(const SellArgs& a, int n, const std::uint8_t* const* q, const QuantizedInput* const* inputs,
                 float* const* y) {
  switch (n) {
    case 0: break;
    case 1: spmv_chunk<Masks, 1>(a, q, inputs, y); break;
    default: spmv_chunk<Masks, 2>(a, q, inputs, y); break;
  }
  static_assert(kSell16i8Chunk == 2, "the switch above covers 1..kSell16i8Chunk inputs");
}

}  // namespace

void spmv_sell16i8__avx2(const SellArgs& a) {
  const std::int64_t bytes = sell16i8_input_bytes(a.cols);
  // Chunks of kSell16i8Chunk batch elements, each quantized into its part of the caller's buffer (from
  // LayerPlan::tcsr_min_batch() on, tcsr runs the batch in fp32).
  for (std::int64_t b0 = 0; b0 < a.batch; b0 += kSell16i8Chunk) {
    const std::int64_t n = std::min<std::int64_t>(kSell16i8Chunk, a.batch - b0);
    QuantizedInput quantized[kSell16i8Chunk];
    const std::uint8_t* q[kSell16i8Chunk];
    const QuantizedInput* inputs[kSell16i8Chunk];
    float* out[kSell16i8Chunk];
    int finite = 0;  // the chunk's finite inputs, gathered at the front of q, inputs and out
    for (std::int64_t i = 0; i < n; ++i) {
      const float* x = a.x + (b0 + i) * a.x_stride;
      float* y = a.y + (b0 + i) * a.y_stride;
      std::uint8_t* buffer = a.x_u8 + finite * bytes;
      quantized[i] = quantize(x, a.cols, buffer, bytes);
      if (!quantized[i].finite) {  // NaN or Inf: the fp32 kernel over the same layout, which propagates them
        spmv_sell16__avx2(one_input_of(a, x, y));
        continue;
      }
      q[finite] = buffer;
      inputs[finite] = &quantized[i];
      out[finite] = y;
      ++finite;
    }
    if (a.masks != nullptr) {
      spmv_finite<true>(a, finite, q, inputs, out);
    } else {
      spmv_finite<false>(a, finite, q, inputs, out);
    }
  }
}

}  // namespace eie::engine
