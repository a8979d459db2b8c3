// AVX-512 BF16 kernel over the sell16x2 layout (layer_plan.h), EngineOptions::precision bf16, any batch. The
// fp32 kernel (spmv_sell16__avx512) is bound by its two permutes per tier of 16 slots; vdpbf16ps adds two
// bf16 products into each fp32 lane, so the same two permutes (vpermw on 32 words) serve 32 slots, two entries
// of each of the slice's 16 rows. The tiers carry ~13% more padding (a row gives two entries to a tier only
// when both lie in its window), and a tier costs about what an fp32 tier does: 1.6-1.9x faster per stored
// entry in a one-thread scratch loop over random 16-row slices at 4-25% density (docs/engine.md).
// The castsi256 of a window leaves its upper half undefined (vpermw reads only the low 16 words); GCC warns.
#include "engine/kernels/intrinsics.h"

#include <algorithm>
#include <cstring>

#include "engine/kernels/finish_slice__avx512.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/to_bf16__avx512bf16.h"

namespace eie::engine {
namespace {

// Rounds one input to bf16 into x16, zero past its end (windows read up to 15 words beyond it). Returns whether
// every value is finite in bf16 (no NaN, no Inf, no fp32 value that rounds past bf16's largest).
bool to_bf16(const float* x, std::int64_t cols, std::uint16_t* x16) {
  __mmask32 bad = 0;
  const std::int64_t words = sell16x2_input_words(cols);
  for (std::int64_t c = 0; c < words; c += 32) _mm512_store_si512(x16 + c, to_bf16_32(x + c, cols - c, bad));
  return bad == 0;
}

// The codebook in bf16, decoded by vpermw (one register of 32 words) or vpermt2w (two). Planes = 0 (16 entries):
// the table twice, since vpermw reads the low 5 bits of a slot and bit 4 is a column bit. Planes = 1 (17-32
// entries): the tier's 32-bit plane sets bit 4 of each lane's index. Planes = 2 (33-64 entries): a second plane
// sets bit 5, which picks the second register.
template <int Planes>
struct Bf16Decoder {
  __m512i t0, t1;
  explicit Bf16Decoder(const float* table) {
    const auto pair = [&](int first) {  // 32 table entries from `first`, in order
      return reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(_mm512_load_ps(table + first + 16), _mm512_load_ps(table + first)));
    };
    if constexpr (Planes == 0) {
      t0 = _mm512_broadcast_i64x4(reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(_mm512_load_ps(table))));
    } else {
      t0 = pair(0);
      if constexpr (Planes == 2) t1 = pair(32);
    }
  }
  // Each lane's full code (Planes > 0; the slot's nibble and its plane bits), for the padding test.
  static __m512i codes(const SellArgs& a, std::uint32_t k, __m512i slots) {
    __m512i code = _mm512_and_si512(slots, _mm512_set1_epi16(15));
    if constexpr (Planes >= 1) {
      std::uint32_t planes[2] = {0, 0};
      std::memcpy(planes, a.code_planes + 2 * Planes * std::size_t{k}, 4 * Planes);
      code = _mm512_mask_add_epi16(code, planes[0], code, _mm512_set1_epi16(16));
      if constexpr (Planes == 2) code = _mm512_mask_add_epi16(code, planes[1], code, _mm512_set1_epi16(32));
    }
    return code;
  }
  __m512i weights(__m512i slots, __m512i code) const {
    if constexpr (Planes == 0) return _mm512_permutexvar_epi16(slots, t0);
    if constexpr (Planes == 1) return _mm512_permutexvar_epi16(code, t0);
    return _mm512_permutex2var_epi16(t0, code, t1);
  }
};

// One tier: 32 slots decoded, each lane's activation picked from the window's 16 (vpermw), two products per
// fp32 lane. Finite: padding adds bf16(0) * x = 0. Otherwise the padding lanes' activations are zeroed first, so
// that 0 * Inf never makes a NaN the reference does not have.
template <int Planes, bool Finite>
inline __m512 layer_dot(const SellArgs& a, std::uint32_t k, const std::uint16_t* x16, std::int64_t start,
                        const Bf16Decoder<Planes>& decoder, __m512 acc) {
  const __m512i slots =
      _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.slots + 32 * std::size_t{k})));
  const __m512i code = Planes == 0 && Finite ? slots : Bf16Decoder<Planes>::codes(a, k, slots);
  const __m512i w = decoder.weights(slots, code);
  const __m512i window = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x16 + start)));
  const __m512i column = _mm512_srli_epi16(slots, 4);
  __m512i xv;
  if constexpr (Finite) {
    xv = _mm512_permutexvar_epi16(column, window);
  } else {
    const __mmask32 entries = _mm512_cmpneq_epi16_mask(code, _mm512_set1_epi16(static_cast<short>(a.pad_code)));
    xv = _mm512_maskz_permutexvar_epi16(entries, column, window);
  }
  return _mm512_dpbf16_ps(acc, reinterpret_cast<__m512bh>(w), reinterpret_cast<__m512bh>(xv));
}

// Slice s of one input (x16 in bf16): the sum of its tiers' products, row l in lane l.
template <int Planes, bool Finite>
__m512 slice_dot(const SellArgs& a, std::int64_t s, const std::uint16_t* x16, const Bf16Decoder<Planes>& decoder) {
  // Four independent chains hide vdpbf16ps's latency.
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps(),
         acc3 = _mm512_setzero_ps();
  std::uint32_t k = a.layer_ptr[2 * s];
  const std::uint32_t end = a.layer_ptr[2 * s + 2];  // the buffer's zero tail serves windows past the input
  for (; k + 4 <= end; k += 4) {
    std::uint64_t four;  // the four tiers' window starts in one load, as in the fp32 kernel
    std::memcpy(&four, a.windows + k, sizeof four);
    const auto start = [&](int i) { return static_cast<std::int64_t>((four >> (16 * i)) & 0xffff) << a.window_shift; };
    acc0 = layer_dot<Planes, Finite>(a, k, x16, start(0), decoder, acc0);
    acc1 = layer_dot<Planes, Finite>(a, k + 1, x16, start(1), decoder, acc1);
    acc2 = layer_dot<Planes, Finite>(a, k + 2, x16, start(2), decoder, acc2);
    acc3 = layer_dot<Planes, Finite>(a, k + 3, x16, start(3), decoder, acc3);
  }
  for (; k < end; ++k) {
    acc0 = layer_dot<Planes, Finite>(a, k, x16, std::int64_t{a.windows[k]} << a.window_shift, decoder, acc0);
  }
  return _mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3));
}

// Batches run in chunks of up to kSell16x2Chunk elements, each slice's tiers once for the chunk, element after
// element, so that a large layer (VGG-6's 15 MB) is read once per chunk, not once per element. The fp32 kernel
// decodes a tier once for 8 elements instead; here the decode is one vpermw of 32 slots, and the tier's slots
// stay in L1 between the elements.
template <int Planes>
void run(const SellArgs& a) {
  const Bf16Decoder<Planes> decoder(a.table);
  const std::int64_t words = sell16x2_input_words(a.cols);
  const std::int64_t slices = (a.rows + 15) / 16;
  for (std::int64_t b0 = 0; b0 < a.batch; b0 += kSell16x2Chunk) {
    const std::int64_t n = std::min<std::int64_t>(kSell16x2Chunk, a.batch - b0);
    bool finite[kSell16x2Chunk];
    for (std::int64_t i = 0; i < n; ++i) finite[i] = to_bf16(a.x + (b0 + i) * a.x_stride, a.cols, a.x_bf16 + i * words);
    for (std::int64_t s = 0; s < slices; ++s) {
      for (std::int64_t i = 0; i < n; ++i) {
        const std::uint16_t* x16 = a.x_bf16 + i * words;
        const __m512 y = finite[i] ? slice_dot<Planes, true>(a, s, x16, decoder) : slice_dot<Planes, false>(a, s, x16, decoder);
        finish_slice(a, s, y, a.y + (b0 + i) * a.y_stride);
      }
    }
  }
}

}  // namespace

void spmv_sell16x2__avx512bf16(const SellArgs& a) {
  switch (a.code_plane_count) {
    case 0: return run<0>(a);
    case 1: return run<1>(a);
    default: return run<2>(a);
  }
}

}  // namespace eie::engine
