// AVX-512 BF16 kernel over the sell16x2 layout (layer_plan.h), EngineOptions::precision bf16, any batch. The
// fp32 kernel (spmv_sell16__avx512) is bound by its two permutes per layer of 16 slots; vdpbf16ps adds two
// bf16 products into each fp32 lane, so the same two permutes (vpermw on 32 words) serve 32 slots, two entries
// of each of the slice's 16 rows. The layers carry ~13% more padding (a row gives two entries to a layer only
// when both lie in its window), and a layer costs about what an fp32 layer does: 1.6-1.9x faster per stored
// entry in a one-thread scratch loop over random 16-row slices at 4-25% density (docs/engine.md).
// The castsi256 of a window leaves its upper half undefined (vpermw reads only the low 16 words); GCC warns.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "engine/kernels/finish_slice__avx512.h"
#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

// Rounds one input to bf16 into x16, zero past its end (windows read up to 15 words beyond it). Returns whether
// every value is finite in bf16 (no NaN, no Inf, no fp32 value that rounds past bf16's largest).
bool to_bf16(const float* x, std::int64_t cols, std::uint16_t* x16) {
  const __m512i exponent = _mm512_set1_epi16(0x7f80);
  __mmask32 bad = 0;
  const std::int64_t words = sell16x2_input_words(cols);
  for (std::int64_t c = 0; c < words; c += 32) {
    const __m512 lo = _mm512_maskz_loadu_ps(first_lanes(cols - c), x + c);
    const __m512 hi = _mm512_maskz_loadu_ps(first_lanes(cols - c - 16), x + c + 16);
    const __m512i v = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
    bad |= _mm512_cmpeq_epi16_mask(_mm512_and_si512(v, exponent), exponent);
    _mm512_store_si512(x16 + c, v);
  }
  return bad == 0;
}

// The 16 table entries in bf16, twice: vpermw reads the low 5 bits of a slot, whose bit 4 is a column bit.
__m512i bf16_table(const SellArgs& a) {
  const __m256i t = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(_mm512_load_ps(a.table)));
  return _mm512_broadcast_i64x4(t);
}

// One layer: 32 slots decoded (vpermw), each lane's activation picked from the window's 16 (vpermw), two
// products per fp32 lane. Finite: padding adds bf16(0) * x = 0. Otherwise the padding lanes' activations are
// zeroed first, so that 0 * Inf never makes a NaN the reference does not have.
template <bool Finite>
inline __m512 layer_dot(const SellArgs& a, std::uint32_t k, const std::uint16_t* x16, std::int64_t start,
                        __m512i table, __m512 acc) {
  const __m512i slots =
      _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.slots + 32 * std::size_t{k})));
  const __m512i w = _mm512_permutexvar_epi16(slots, table);
  const __m512i window = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x16 + start)));
  const __m512i column = _mm512_srli_epi16(slots, 4);
  __m512i xv;
  if constexpr (Finite) {
    xv = _mm512_permutexvar_epi16(column, window);
  } else {
    const __mmask32 entries = _mm512_cmpneq_epi16_mask(_mm512_and_si512(slots, _mm512_set1_epi16(15)),
                                                       _mm512_set1_epi16(static_cast<short>(a.pad_code)));
    xv = _mm512_maskz_permutexvar_epi16(entries, column, window);
  }
  return _mm512_dpbf16_ps(acc, reinterpret_cast<__m512bh>(w), reinterpret_cast<__m512bh>(xv));
}

// Slice s of one input (x16 in bf16): the sum of its layers' products, row l in lane l.
template <bool Finite>
__m512 slice_dot(const SellArgs& a, std::int64_t s, const std::uint16_t* x16, __m512i table) {
  // Four independent chains hide vdpbf16ps's latency.
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps(),
         acc3 = _mm512_setzero_ps();
  std::uint32_t k = a.layer_ptr[2 * s];
  const std::uint32_t end = a.layer_ptr[2 * s + 2];  // the buffer's zero tail serves windows past the input
  for (; k + 4 <= end; k += 4) {
    std::uint64_t four;  // the four layers' window starts in one load, as in the fp32 kernel
    std::memcpy(&four, a.windows + k, sizeof four);
    const auto start = [&](int i) { return static_cast<std::int64_t>((four >> (16 * i)) & 0xffff) << a.window_shift; };
    acc0 = layer_dot<Finite>(a, k, x16, start(0), table, acc0);
    acc1 = layer_dot<Finite>(a, k + 1, x16, start(1), table, acc1);
    acc2 = layer_dot<Finite>(a, k + 2, x16, start(2), table, acc2);
    acc3 = layer_dot<Finite>(a, k + 3, x16, start(3), table, acc3);
  }
  for (; k < end; ++k) acc0 = layer_dot<Finite>(a, k, x16, std::int64_t{a.windows[k]} << a.window_shift, table, acc0);
  return _mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3));
}

}  // namespace

// Batches run in chunks of up to kSell16x2Chunk elements, each slice's layers once for the chunk, element after
// element, so that a large layer (VGG-6's 15 MB) is read once per chunk, not once per element. The fp32 kernel
// decodes a layer once for 8 elements instead; here the decode is one vpermw of 32 slots, and the layer's slots
// stay in L1 between the elements.
void spmv_sell16x2__avx512bf16(const SellArgs& a) {
  const __m512i table = bf16_table(a);
  const std::int64_t words = sell16x2_input_words(a.cols);
  const std::int64_t slices = (a.rows + 15) / 16;
  for (std::int64_t b0 = 0; b0 < a.batch; b0 += kSell16x2Chunk) {
    const std::int64_t n = std::min<std::int64_t>(kSell16x2Chunk, a.batch - b0);
    bool finite[kSell16x2Chunk];
    for (std::int64_t i = 0; i < n; ++i) finite[i] = to_bf16(a.x + (b0 + i) * a.x_stride, a.cols, a.x_bf16 + i * words);
    for (std::int64_t s = 0; s < slices; ++s) {
      for (std::int64_t i = 0; i < n; ++i) {
        const std::uint16_t* x16 = a.x_bf16 + i * words;
        const __m512 y = finite[i] ? slice_dot<true>(a, s, x16, table) : slice_dot<false>(a, s, x16, table);
        finish_slice(a, s, y, a.y + (b0 + i) * a.y_stride);
      }
    }
  }
}

}  // namespace eie::engine
