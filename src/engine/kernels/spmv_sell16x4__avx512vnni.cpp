// AVX-512 VNNI kernel over the sell16x4 layout (layer_plan.h), EngineOptions::precision int8, any batch. The fp32
// kernel (spmv_sell16__avx512) spends two permutes and a masked FMA on 16 slots, the bf16 one the same on 32;
// here two vpermb and one vpdpbusd serve 64: four 8-bit products per 32-bit lane, summed exactly. What bounds it
// on this Zen 5 is the loads, not the arithmetic: per tier 64 bytes of slots, 32 of codes and an unaligned
// 64-byte window, ~4 cycles (1.1 ns in a scratch loop; 1.27 ns before the slots started on cache lines, and then
// 0.82 ns without their load). A masked load of the window (to zero its 64th byte, which the padding picks) cost
// a third more than a plain one and an AND, so the kernel ANDs. Compact codes (sell16x4c) read 16 bytes of code per
// tier instead of 32 and spend a shift and a vpternlogd per tier to rebuild the code.
// GCC 12's vpermb and vpdpbusd intrinsics start from an undefined register and warn that it may be used.
#include "engine/kernels/intrinsics.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "engine/kernels/finish_slice__avx512.h"
#include "engine/kernels/first_lanes__avx512.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantized_input.h"

namespace eie::engine {
namespace {

using Quantized = QuantizedInput;

// Calls f(c, lanes) for the vectors of 16 floats x[c..c + 16) (lanes: those inside the input) so that every
// vector but the first and the last starts on a cache line: a load split across two lines costs twice one that is
// not, and the caller's input may start anywhere.
template <class F>
inline void for_each_vector(const float* x, std::int64_t cols, F f) {
  const auto misaligned = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(x) % 64 / sizeof(float));
  const std::int64_t head = std::min<std::int64_t>(cols, (16 - misaligned) % 16);
  if (head > 0) f(std::int64_t{0}, first_lanes(head));
  std::int64_t c = head;
  for (; c + 16 <= cols; c += 16) f(c, __mmask16{0xffff});
  if (c < cols) f(c, first_lanes(cols - c));
}

// Quantizes x (cols floats) into q (sell16x4_input_bytes(cols) bytes, zero past the input): 0..255 for inputs
// without negative values, else -127..127 offset by 128, the largest magnitude at the top of the range.
Quantized quantize(const float* x, std::int64_t cols, std::uint8_t* q) {
  // One integer pass over the bits: the largest magnitude (IEEE magnitudes order as integers; Inf and NaN lie
  // above every finite one) and the largest pattern as unsigned, above 0x80000000 exactly when some value is
  // negative (-0.0 is not). Integer max has a latency of one cycle, the float min and max and a mask OR more.
  const __m512i magnitude_bits = _mm512_set1_epi32(0x7fffffff);
  __m512i largest_magnitude = _mm512_setzero_si512(), largest_pattern = _mm512_setzero_si512();
  for_each_vector(x, cols, [&](std::int64_t c, __mmask16 lanes) {
    const __m512i v = _mm512_castps_si512(_mm512_maskz_loadu_ps(lanes, x + c));
    largest_magnitude = _mm512_max_epu32(largest_magnitude, _mm512_and_si512(v, magnitude_bits));
    largest_pattern = _mm512_max_epu32(largest_pattern, v);
  });
  const Quantized result = input_quantization(_mm512_reduce_max_epu32(largest_magnitude),
                                              _mm512_reduce_max_epu32(largest_pattern) > 0x80000000u);
  if (!result.finite) return result;
  const __m512 inverse = _mm512_set1_ps(1.0f / result.scale), scale = _mm512_set1_ps(result.scale);
  const __m512i offset = _mm512_set1_epi32(result.offset);
  const auto store = [&](auto divide) {
    for_each_vector(x, cols, [&](std::int64_t c, __mmask16 lanes) {
      const __m512 v = _mm512_maskz_loadu_ps(lanes, x + c);
      const __m512 t = decltype(divide)::value ? _mm512_div_ps(v, scale) : _mm512_mul_ps(v, inverse);
      // Nearest even, then the offset; every value is then in 0..255 (vpmovusdb saturates what rounding may
      // leave a hair above 255).
      _mm_mask_storeu_epi8(q + c, lanes, _mm512_cvtusepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(t), offset)));
    });
  };
  if (result.scale < kDivideBelowScale) {
    store(std::true_type{});
  } else {
    store(std::false_type{});
  }
  std::memset(q + cols, 0, static_cast<std::size_t>(sell16x4_input_bytes(cols) - cols));
  return result;
}

// The codes of tiers k (even) and k + 1 decoded to 8-bit weights. Nibbles: the table is 16 entries four times
// over, so vpermb reads a nibble whatever the two bits above it hold. Bytes (17-64 entries): one per slot.
struct Weights {
  __m512i even, odd;
};
template <bool ByteCodes>
inline Weights decode(const SellArgs& a, std::uint32_t k, __m512i table) {
  if constexpr (ByteCodes) {
    const std::uint8_t* codes = a.slot_codes + 64 * std::size_t{k};
    return {_mm512_permutexvar_epi8(_mm512_loadu_si512(codes), table),
            _mm512_permutexvar_epi8(_mm512_loadu_si512(codes + 64), table)};
  }
  const __m512i codes = _mm512_loadu_si512(a.slot_codes + 32 * std::size_t{k});
  return {_mm512_permutexvar_epi8(codes, table), _mm512_permutexvar_epi8(_mm512_srli_epi16(codes, 4), table)};
}

enum class Codes { nibbles, bytes, compact };

struct Tables {
  __m512i a, b;  // b: compact codes only
};

// Compact codes (codebooks of at most 16 entries, SellArgs::compact_codes): a slot's bits 6-7 hold bits 0-1 of its
// code (vpermb takes the column from bits 0-5 alone), and each group of four tiers has 64 bytes, bits 2m..2m+1 of
// byte i holding bits 2-3 of slot i's code in the group's tier m. The index into the table takes bits 0-1 from the
// slot (shifted down) and bits 2-3 from the group's byte through table a, or bits 4-5 through table b (the same
// codebook indexed there), so that only tiers 0 and 3 shift the group's bytes. Weights of the group's first
// `Layers` tiers (a slice's last group may hold fewer than four).
template <int Layers>
inline void decode_compact(const std::uint8_t* group, const __m512i* slots, const Tables& table, __m512i* w) {
  const __m512i codes = _mm512_loadu_si512(group);
  const __m512i low = _mm512_set1_epi8(3);
#pragma GCC unroll 4
  for (int m = 0; m < Layers; ++m) {
    const __m512i high = m == 0 ? _mm512_slli_epi16(codes, 2) : m == 3 ? _mm512_srli_epi16(codes, 2) : codes;
    // Bits 0-1 from the slot, the others from `high` (vpternlogd's bitwise select).
    const __m512i index = _mm512_ternarylogic_epi32(low, _mm512_srli_epi16(slots[m], 6), high, 0xca);
    w[m] = _mm512_permutexvar_epi8(index, m < 2 ? table.a : table.b);
  }
}

// One tier for one input: each slot's activation picked from the window (its last byte zeroed for the padding),
// four products per row added into the row's lane.
inline __m512i layer_dot(const SellArgs& a, std::uint32_t k, __m512i slots, const std::uint8_t* q, __m512i w,
                         __m512i acc) {
  const __m512i keep = _mm512_set_epi64(0x00ffffffffffffffLL, -1, -1, -1, -1, -1, -1, -1);
  const __m512i window = _mm512_and_si512(_mm512_loadu_si512(q + a.windows[k]), keep);
  return _mm512_dpbusd_epi32(acc, _mm512_permutexvar_epi8(slots, window), w);
}

inline __m512i slots_of(const SellArgs& a, std::uint32_t k) {
  return _mm512_loadu_si512(a.slots + 64 * std::size_t{k});
}

// The weights of a tier's slots with padding's set to 0 (slot column kSell16x4Pad; compact codes keep code bits in
// the slot's top two bits, so only its low six count), so that the batch loops need not zero the window's 64th
// byte (which padding picks) for each input: once per tier instead of once per tier and input.
template <bool Compact>
inline __m512i zero_padding(__m512i slots, __m512i w) {
  static_assert(kSell16x4Pad == 63, "the padding's column is all six column bits of a slot");
  const __m512i pad = _mm512_set1_epi8(static_cast<char>(kSell16x4Pad));
  const __m512i columns = Compact ? _mm512_and_si512(slots, pad) : slots;
  return _mm512_maskz_mov_epi8(_mm512_cmpneq_epi8_mask(columns, pad), w);
}

// Tiers k..k + Layers - 1 of compact codes (one group) for N inputs quantized `stride` bytes apart from q, tier m
// into accumulator m % Acc of each. One input zeroes the padding's window byte (layer_dot), several the padding's
// weights once per tier.
template <int Layers, int N, int Acc>
inline void compact_group(const SellArgs& a, std::uint32_t k, const std::uint8_t* group, const Tables& table,
                          const std::uint8_t* q, std::int64_t stride, __m512i (&acc)[N][Acc]) {
  __m512i slots[Layers], w[Layers];
#pragma GCC unroll 4
  for (int m = 0; m < Layers; ++m) slots[m] = slots_of(a, k + static_cast<std::uint32_t>(m));
  decode_compact<Layers>(group, slots, table, w);
#pragma GCC unroll 4
  for (int m = 0; m < Layers; ++m) {
    const std::uint32_t tier = k + static_cast<std::uint32_t>(m);
    if constexpr (N == 1) {
      acc[0][m % Acc] = layer_dot(a, tier, slots[m], q, w[m], acc[0][m % Acc]);
    } else {
      const __m512i weights = zero_padding<true>(slots[m], w[m]);
      const std::uint8_t* x = q + a.windows[tier];
#pragma GCC unroll 8
      for (int i = 0; i < N; ++i) {
        acc[i][m % Acc] = _mm512_dpbusd_epi32(
            acc[i][m % Acc], _mm512_permutexvar_epi8(slots[m], _mm512_loadu_si512(x + i * stride)), weights);
      }
    }
  }
}

// Slice s's tiers [k, end) of compact codes for N inputs, from its first group: whole groups, then the rest.
template <int N, int Acc>
inline void compact_slice(const SellArgs& a, std::uint32_t k, std::uint32_t end, const std::uint8_t* group,
                          const Tables& table, const std::uint8_t* q, std::int64_t stride, __m512i (&acc)[N][Acc]) {
  for (; k + 4 <= end; k += 4, group += 64) compact_group<4>(a, k, group, table, q, stride, acc);
  switch (end - k) {
    case 1: compact_group<1>(a, k, group, table, q, stride, acc); break;
    case 2: compact_group<2>(a, k, group, table, q, stride, acc); break;
    case 3: compact_group<3>(a, k, group, table, q, stride, acc); break;
    default: break;
  }
}

// The sum of slice s's products for one input (batch 1): four accumulators, two pairs of tiers per round.
// group: compact codes' first group of the slice.
template <Codes C>
__m512i slice_dot(const SellArgs& a, std::int64_t s, const std::uint8_t* q, const Tables& table,
                  const std::uint8_t* group) {
  std::uint32_t k = a.layer_ptr[2 * s];
  const std::uint32_t end = a.layer_ptr[2 * s + 2];  // even but for compact codes
  if constexpr (C == Codes::compact) {
    const __m512i zero = _mm512_setzero_si512();
    __m512i acc[1][4] = {{zero, zero, zero, zero}};
    compact_slice(a, k, end, group, table, q, 0, acc);
    return _mm512_add_epi32(_mm512_add_epi32(acc[0][0], acc[0][1]), _mm512_add_epi32(acc[0][2], acc[0][3]));
  }
  __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  constexpr bool ByteCodes = C == Codes::bytes;
  for (; k + 4 <= end; k += 4) {
    const Weights w01 = decode<ByteCodes>(a, k, table.a), w23 = decode<ByteCodes>(a, k + 2, table.a);
    acc0 = layer_dot(a, k, slots_of(a, k), q, w01.even, acc0);
    acc1 = layer_dot(a, k + 1, slots_of(a, k + 1), q, w01.odd, acc1);
    acc2 = layer_dot(a, k + 2, slots_of(a, k + 2), q, w23.even, acc2);
    acc3 = layer_dot(a, k + 3, slots_of(a, k + 3), q, w23.odd, acc3);
  }
  if (k < end) {
    const Weights w = decode<ByteCodes>(a, k, table.a);
    acc0 = layer_dot(a, k, slots_of(a, k), q, w.even, acc0);
    acc1 = layer_dot(a, k + 1, slots_of(a, k + 1), q, w.odd, acc1);
  }
  return _mm512_add_epi32(_mm512_add_epi32(acc0, acc1), _mm512_add_epi32(acc2, acc3));
}

// The int32 sums of slice s scaled back to fp32, then bias and activation.
inline void finish_quantized(const SellArgs& a, std::int64_t s, __m512i acc, const Quantized& input, float* out) {
  if (input.offset != 0) {
    const __m512i sums = _mm512_maskz_loadu_epi32(first_lanes(a.rows - 16 * s), a.row_weight_sums + 16 * s);
    acc = _mm512_sub_epi32(acc, _mm512_mullo_epi32(sums, _mm512_set1_epi32(input.offset)));
  }
  finish_slice(a, s, _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(a.weight_scale * input.scale)), out);
}

// N inputs at once, quantized one after another `stride` bytes apart from q: each pair of tiers (a group of four
// with compact codes) is loaded and decoded once for all of them, one accumulator per input. The inputs' addresses
// come from one base and the stride: from an array of N pointers, GCC 12 reloaded each from the stack on every
// tier. On an Emerald Rapids core this loop and padding zeroed in the weights took batch 64 of Alex-8 from ~2.2 to
// ~1.9 cycles per tier and input (8 inputs a chunk; 4 and 16 were slower: 16 windows of 4 KB and the slots no
// longer fit the 48 KB L1). The nibble loop below takes its pair of tiers input by input; one helper for a tier
// and all inputs, shared with compact_group, ran batch 64 1-3% slower (Alex-7, Alex-8).
template <Codes C, int N>
void slices_of_chunk(const SellArgs& a, const std::uint8_t* q, std::int64_t stride, const Quantized* const* inputs,
                     float* const* out, const Tables& table) {
  const std::int64_t slices = (a.rows + 15) / 16;
  const std::uint8_t* group = a.slot_codes;  // compact codes: the slice's first group
  for (std::int64_t s = 0; s < slices; ++s) {
    const std::uint32_t begin = a.layer_ptr[2 * s], end = a.layer_ptr[2 * s + 2];
    if constexpr (N == 1) {
      finish_quantized(a, s, slice_dot<C>(a, s, q, table, group), *inputs[0], out[0]);
    } else if constexpr (C == Codes::compact) {
      __m512i acc[N][1];
      for (int i = 0; i < N; ++i) acc[i][0] = _mm512_setzero_si512();
      compact_slice(a, begin, end, group, table, q, stride, acc);
      for (int i = 0; i < N; ++i) finish_quantized(a, s, acc[i][0], *inputs[i], out[i]);
    } else {
      __m512i acc[N];
      for (int i = 0; i < N; ++i) acc[i] = _mm512_setzero_si512();
      for (std::uint32_t k = begin; k < end; k += 2) {
        const __m512i slots0 = slots_of(a, k), slots1 = slots_of(a, k + 1);
        const Weights w = decode<C == Codes::bytes>(a, k, table.a);
        const __m512i even = zero_padding<false>(slots0, w.even), odd = zero_padding<false>(slots1, w.odd);
        const std::uint8_t* x0 = q + a.windows[k];
        const std::uint8_t* x1 = q + a.windows[k + 1];
#pragma GCC unroll 8
        for (int i = 0; i < N; ++i) {
          acc[i] = _mm512_dpbusd_epi32(acc[i], _mm512_permutexvar_epi8(slots0, _mm512_loadu_si512(x0 + i * stride)),
                                       even);
          acc[i] = _mm512_dpbusd_epi32(acc[i], _mm512_permutexvar_epi8(slots1, _mm512_loadu_si512(x1 + i * stride)),
                                       odd);
        }
      }
      for (int i = 0; i < N; ++i) finish_quantized(a, s, acc[i], *inputs[i], out[i]);
    }
    group += 64 * std::size_t{(end - begin + 3) / 4};
  }
}

// An input holding NaN or Inf: fp32 over the same slots, each row's entries in column order as in the
// reference, so that NaN and Inf reach exactly the rows they reach there.
void run_fp32(const SellArgs& a, const float* x, float* y) {
  const std::int64_t slices = (a.rows + 15) / 16;
  const std::uint8_t* group = a.slot_codes;  // compact codes: the slice's first group
  for (std::int64_t s = 0; s < slices; ++s) {
    float sum[16] = {};
    for (std::uint32_t k = a.layer_ptr[2 * s]; k < a.layer_ptr[2 * s + 2]; ++k) {
      for (int slot = 0; slot < 64; ++slot) {
        const std::uint8_t byte = a.slots[64 * std::size_t{k} + static_cast<std::size_t>(slot)];
        const std::uint8_t column = a.compact_codes ? byte & 63 : byte;
        if (column == kSell16x4Pad) continue;
        int code;
        if (a.compact_codes) {
          const std::uint32_t m = k - a.layer_ptr[2 * s];  // the tier within the slice
          const std::uint8_t high = group[64 * std::size_t{m / 4} + static_cast<std::size_t>(slot)];
          code = (byte >> 6) | ((high >> (2 * (m % 4))) & 3) << 2;
        } else if (a.code_plane_count > 0) {
          code = a.slot_codes[64 * std::size_t{k} + static_cast<std::size_t>(slot)];
        } else {
          const std::uint8_t pair = a.slot_codes[32 * std::size_t{k & ~1u} + static_cast<std::size_t>(slot)];
          code = (k & 1u) != 0 ? pair >> 4 : pair & 15;
        }
        sum[slot / 4] += a.table[code] * x[a.windows[k] + column];
      }
    }
    for (std::int64_t l = 0; l < 16 && 16 * s + l < a.rows; ++l) y[16 * s + l] = finish(sum[l], a, 16 * s + l);
    group += 64 * std::size_t{(a.layer_ptr[2 * s + 2] - a.layer_ptr[2 * s] + 3) / 4};
  }
}

template <Codes C>
void run(const SellArgs& a) {
  Tables table;
  table.a = _mm512_loadu_si512(a.int8_table);
  if constexpr (C == Codes::compact) {
    alignas(64) std::uint8_t index[64];
    for (int i = 0; i < 64; ++i) index[i] = static_cast<std::uint8_t>((i & 3) | ((i >> 4) & 3) << 2);
    table.b = _mm512_permutexvar_epi8(_mm512_load_si512(index), table.a);
  }
  const std::int64_t bytes = sell16x4_input_bytes(a.cols);
  for (std::int64_t b0 = 0; b0 < a.batch; b0 += kSell16x4Chunk) {
    const std::int64_t n = std::min<std::int64_t>(kSell16x4Chunk, a.batch - b0);
    Quantized quantized[kSell16x4Chunk];
    const Quantized* inputs[kSell16x4Chunk];
    float* out[kSell16x4Chunk];
    int finite = 0;  // the chunk's finite inputs, quantized one after another into x_u8, gathered in inputs and out
    for (std::int64_t i = 0; i < n; ++i) {
      const float* x = a.x + (b0 + i) * a.x_stride;
      float* y = a.y + (b0 + i) * a.y_stride;
      quantized[i] = quantize(x, a.cols, a.x_u8 + finite * bytes);
      if (!quantized[i].finite) {
        run_fp32(a, x, y);
        continue;
      }
      inputs[finite] = &quantized[i];
      out[finite] = y;
      ++finite;
    }
    const std::uint8_t* q = a.x_u8;
    switch (finite) {
      case 0: break;
      case 1: slices_of_chunk<C, 1>(a, q, bytes, inputs, out, table); break;
      case 2: slices_of_chunk<C, 2>(a, q, bytes, inputs, out, table); break;
      case 3: slices_of_chunk<C, 3>(a, q, bytes, inputs, out, table); break;
      case 4: slices_of_chunk<C, 4>(a, q, bytes, inputs, out, table); break;
      case 5: slices_of_chunk<C, 5>(a, q, bytes, inputs, out, table); break;
      case 6: slices_of_chunk<C, 6>(a, q, bytes, inputs, out, table); break;
      case 7: slices_of_chunk<C, 7>(a, q, bytes, inputs, out, table); break;
      default: slices_of_chunk<C, 8>(a, q, bytes, inputs, out, table); break;
    }
  }
  static_assert(kSell16x4Chunk == 8, "the switch above covers 1..kSell16x4Chunk inputs");
}

}  // namespace

void spmv_sell16x4__avx512vnni(const SellArgs& a) {
  if (a.code_plane_count > 0) return run<Codes::bytes>(a);
  if (a.compact_codes) return run<Codes::compact>(a);
  return run<Codes::nibbles>(a);
}

}  // namespace eie::engine
