// AVX-512 BF16 kernel over the tcsrx2 layout (kernel.h, layer_plan.h): batches at precision bf16. The fp32 tcsr
// kernel spends ~10 cycles per entry at batch 64 against the ~2 its FMAs need, most of it per entry: the scalar
// decode, the broadcast and the row loop. Pairs halve those: one 32-bit word, one broadcast of the two weights from
// a table of code pairs, and per 32 batch elements two loads, two unpacks and two vdpbf16ps for both entries.
// 1.2-2.4x faster than fp32 tcsr per paper layer at batch 64, two threads (docs/engine.md, "bf16 precision").
#include "engine/kernels/intrinsics.h"

#include <cstring>

#include "engine/kernels/first_lanes__avx512.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/to_bf16__avx512bf16.h"

namespace eie::engine {
namespace {

// Within each 32-element half of a column the bf16 activations are stored so that vpunpcklwd of two columns
// gives batch elements 0-15 of the half in order, and vpunpckhwd 16-31: word 8j + k holds element 4j + k and
// word 8j + 4 + k element 16 + 4j + k (j, k < 4), since the unpacks interleave the low and high 4 words of each
// 128-bit lane. The word that holds element i (< 32) of a half:
constexpr int unpack_word(int i) { return i < 16 ? 8 * (i / 4) + i % 4 : 8 * ((i - 16) / 4) + 4 + (i - 16) % 4; }

// vpermw's index from elements in order to unpack_word's order.
__m512i unpack_order() {
  alignas(64) std::uint16_t index[32];
  for (int i = 0; i < 32; ++i) index[unpack_word(i)] = static_cast<std::uint16_t>(i);
  return _mm512_load_si512(index);
}

// The panel's activations for batch elements [b0, b0 + n) in bf16, `width` (n rounded up to 32) words per column,
// zero beyond n. Returns whether every one is finite in bf16.
bool convert_chunk(const TcsrArgs& a, std::int64_t b0, std::int64_t n, std::int64_t width) {
  const __m512i order = unpack_order();
  __mmask32 bad = 0;
  for (std::int64_t c = 0; c < a.cols; ++c) {
    const float* x = a.x + c * a.batch + b0;
    for (std::int64_t h = 0; h < width; h += 32) {
      _mm512_store_si512(a.x_bf16 + c * width + h, _mm512_permutexvar_epi16(order, to_bf16_32(x + h, n - h, bad)));
    }
  }
  return bad == 0;
}

float bf16_value(std::uint32_t bits) {
  const std::uint32_t u = bits << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// The output of row r for batch element b: bias, activation.
inline __m512 finish_vector(const TcsrArgs& a, std::int64_t r, __m512 v) {
  if (a.bias != nullptr) v = _mm512_add_ps(v, _mm512_set1_ps(a.bias[r]));
  if (a.activation == Activation::relu) v = _mm512_max_ps(_mm512_setzero_ps(), v);  // NaN stays NaN
  return v;
}

// H halves of 32 batch elements (H = 1 or 2) for rows of the block, from the converted chunk.
template <int H>
void rows_chunk(const TcsrArgs& a, std::int64_t b0, std::int64_t n, std::int64_t width) {
  for (std::int64_t r = 0; r < a.rows; ++r) {
    float* y = a.y + r * a.batch + b0;
    // Two sets of accumulators take consecutive pairs in turn, hiding vdpbf16ps's latency.
    __m512 acc[2][2 * H];
    for (int v = 0; v < 2 * H; ++v) {
      acc[0][v] = a.first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(first_lanes(n - 16 * v), y + 16 * v);
      acc[1][v] = _mm512_setzero_ps();
    }
    const auto pair = [&](std::uint32_t k, __m512* set) {
      const std::uint32_t p = a.pairs[k];
      const __m512bh w = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(a.pair_table[p >> 16])));
      const std::uint16_t* x1 = a.x_bf16 + static_cast<std::int64_t>(p & 255u) * width;
      const std::uint16_t* x2 = a.x_bf16 + static_cast<std::int64_t>((p >> 8) & 255u) * width;
      for (int h = 0; h < H; ++h) {
        const __m512i u = _mm512_load_si512(x1 + 32 * h), t = _mm512_load_si512(x2 + 32 * h);
        set[2 * h] = _mm512_dpbf16_ps(set[2 * h], reinterpret_cast<__m512bh>(_mm512_unpacklo_epi16(u, t)), w);
        set[2 * h + 1] = _mm512_dpbf16_ps(set[2 * h + 1], reinterpret_cast<__m512bh>(_mm512_unpackhi_epi16(u, t)), w);
      }
    };
    std::uint32_t k = a.row_ptr[r];
    const std::uint32_t end = a.row_ptr[r + 1];
    for (; k + 2 <= end; k += 2) {
      pair(k, acc[0]);
      pair(k + 1, acc[1]);
    }
    if (k < end) pair(k, acc[0]);
    for (int v = 0; v < 2 * H; ++v) {
      __m512 out = _mm512_add_ps(acc[0][v], acc[1][v]);
      if (a.last) out = finish_vector(a, r, out);
      _mm512_mask_storeu_ps(y + 16 * v, first_lanes(n - 16 * v), out);
    }
  }
}

// A chunk whose activations hold a NaN or an Inf: the same sums one batch element at a time, leaving out the
// padding partner of a row's odd last entry, so that 0 * Inf never makes a NaN the reference does not have.
void rows_chunk_scalar(const TcsrArgs& a, std::int64_t b0, std::int64_t n, std::int64_t width) {
  for (std::int64_t r = 0; r < a.rows; ++r) {
    for (std::int64_t b = 0; b < n; ++b) {
      float* y = a.y + r * a.batch + b0 + b;
      float sum = a.first ? 0.0f : *y;
      const std::int64_t word = b / 32 * 32 + unpack_word(static_cast<int>(b % 32));  // as convert_chunk put it
      for (std::uint32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k) {
        const std::uint32_t p = a.pairs[k];
        const std::uint32_t w = a.pair_table[p >> 16];
        sum += bf16_value(w & 0xffffu) * bf16_value(a.x_bf16[static_cast<std::int64_t>(p & 255u) * width + word]);
        if (static_cast<int>((p >> 16) % static_cast<std::uint32_t>(a.table_entries)) != a.pad_code) {
          sum += bf16_value(w >> 16) * bf16_value(a.x_bf16[static_cast<std::int64_t>((p >> 8) & 255u) * width + word]);
        }
      }
      *y = a.last ? finish(sum, a, r) : sum;
    }
  }
}

}  // namespace

void spmm_tcsrx2__avx512bf16(const TcsrArgs& a) {
  // Chunks of 64 batch elements: the chunk's bf16 activations, 256 columns x 64 x 2 bytes = 32 KB, stay in L1.
  for (std::int64_t b0 = 0; b0 < a.batch; b0 += 64) {
    const std::int64_t n = a.batch - b0 < 64 ? a.batch - b0 : 64;
    const std::int64_t width = (n + 31) / 32 * 32;
    if (!convert_chunk(a, b0, n, width)) {
      rows_chunk_scalar(a, b0, n, width);
    } else if (width == 32) {
      rows_chunk<1>(a, b0, n, width);
    } else {
      rows_chunk<2>(a, b0, n, width);
    }
  }
}

}  // namespace eie::engine
