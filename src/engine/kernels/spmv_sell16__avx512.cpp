// AVX-512 kernel over the sell16 layout (layer_plan.h), any batch. A slice's 16 rows are the 16 lanes of the
// accumulators; each tier is 16 one-byte slots: the code in the low nibble decodes through the 16-entry table
// held in a register (vpermps ignores the index's upper bits; 32- and 64-entry codebooks add one or two bit
// planes per tier and decode with vpermt2ps over two or four registers), the column in the high nibble picks the lane's
// activation from the window's 16 activations loaded as one vector (vpermps again). One FMA per tier, masked to
// the lanes that hold an entry unless the input is finite and padding decodes to 0 (Lanes below): masked lanes
// never touch an activation, so NaN and Inf propagate exactly as in the reference. Compared with
// the gather kernel (spmv_csr16__avx512) this trades 1.3-2.6x more slots than entries (padding of the tiers) for
// no gather, no horizontal sum and no per-row loop: 2.8-4.3x faster on the nine paper layers (docs/engine.md).
// Batch > 1: the tier's weights are decoded once for a chunk of 8 batch elements, whose windows are permuted and
// multiplied into 8 accumulators (1.6-1.9x the csr16 M x M, which waited on its scattered activation loads).
#include "engine/kernels/intrinsics.h"

#include <cstring>

#include "engine/kernels/finish_slice__avx512.h"
#include "engine/kernels/first_lanes__avx512.h"
#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

// Decodes a tier's 16 codes into weights. Planes = 0: 16-entry table in one register, one vpermps on the
// slot's low nibble. Planes = 1 (17-32 entries): the tier's first plane sets bit 4 of the index, one vpermt2ps
// over two table registers. Planes = 2 (33-64 entries): two vpermt2ps and a blend on the second plane.
template <int Planes>
struct Decoder {
  __m512 t0, t1, t2, t3;
  explicit Decoder(const float* table) {
    t0 = _mm512_load_ps(table);
    if constexpr (Planes >= 1) t1 = _mm512_load_ps(table + 16);
    if constexpr (Planes == 2) {
      t2 = _mm512_load_ps(table + 32);
      t3 = _mm512_load_ps(table + 48);
    }
  }
  __m512 weights(const SellArgs& a, std::uint32_t k, __m512i slots) const {
    if constexpr (Planes == 0) {
      return _mm512_permutexvar_ps(slots, t0);  // vpermps reads only the index's low 4 bits
    } else {
      const std::uint16_t* planes = a.code_planes + Planes * std::size_t{k};
      const __m512i low = _mm512_and_si512(slots, _mm512_set1_epi32(15));
      const __m512i index = _mm512_mask_or_epi32(low, planes[0], low, _mm512_set1_epi32(16));
      const __m512 w = _mm512_permutex2var_ps(t0, index, t1);
      if constexpr (Planes == 1) return w;
      return _mm512_mask_blend_ps(planes[1], w, _mm512_permutex2var_ps(t2, index, t3));
    }
  }
};

inline __m512i load_slots(const SellArgs& a, std::uint32_t k) {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.slots + 16 * std::size_t{k})));
}

// Which lanes of a tier hold an entry. stored: the tier's mask. code: a slot's code is 0 exactly where it holds
// none (a 16-entry table with a reserved zero). all: every lane, padding included; its code 0 decodes to 0 and
// adds 0 * x, exact when every activation is finite. The stored mask costs ~20% of a tier's time at batch 1
// (it travels through a general register into a mask register), so layouts without masks run unmasked when
// the input allows.
enum class Lanes { stored, code, all };

template <Lanes L>
inline __mmask16 lanes_of(const SellArgs& a, std::uint32_t k, __m512i slots) {
  if constexpr (L == Lanes::stored) return a.masks[k];
  return _mm512_test_epi32_mask(slots, _mm512_set1_epi32(15));
}

// The column where tier k's window of 16 activations starts. At batch 1 its load crosses a cache line in 15 of
// 16 windows, which costs ~20% of the loop; loading the window's pair of aligned panels instead and picking the
// lanes with vpermt2ps on (slot >> 4) + start % 16 cost more than that (docs/engine.md). Batches do that: the
// pair's loads serve several tiers.
inline std::int64_t window_of(const SellArgs& a, std::uint32_t k) {
  return std::int64_t{a.windows[k]} << a.window_shift;
}

template <int Planes, Lanes L>
inline __m512 layer_fma(const SellArgs& a, std::uint32_t k, const Decoder<Planes>& decoder, __m512 x, __m512 acc) {
  const __m512i slots = load_slots(a, k);
  const __m512 w = decoder.weights(a, k, slots);
  const __m512 xv = _mm512_permutexvar_ps(_mm512_srli_epi32(slots, 4), x);
  if constexpr (L == Lanes::all) return _mm512_fmadd_ps(w, xv, acc);
  return _mm512_mask3_fmadd_ps(w, xv, acc, lanes_of<L>(a, k, slots));
}

// True when no batch element's input holds a NaN or an Inf.
bool input_is_finite(const SellArgs& a) {
  const __m512 magnitude = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  const __m512 infinity = _mm512_set1_ps(__builtin_inff());
  __mmask16 bad = 0;
  for (std::int64_t b = 0; b < a.batch; ++b) {
    const float* x = a.x + b * a.x_stride;
    std::int64_t c = 0;
    for (; c + 16 <= a.cols; c += 16) {
      // |x| < Inf is false for Inf and for NaN (unordered).
      bad = _kor_mask16(bad, _mm512_cmp_ps_mask(_mm512_and_ps(_mm512_loadu_ps(x + c), magnitude), infinity, _CMP_NLT_UQ));
    }
    const __mmask16 tail = first_lanes(a.cols - c);
    bad = _kor_mask16(bad, _mm512_mask_cmp_ps_mask(tail, _mm512_and_ps(_mm512_maskz_loadu_ps(tail, x + c), magnitude),
                                                   infinity, _CMP_NLT_UQ));
  }
  return bad == 0;
}

template <int Planes, Lanes L>
void spmv_batch1(const SellArgs& a) {
  const Decoder<Planes> table(a.table);
  const std::int64_t slices = (a.rows + 15) / 16;
  for (std::int64_t s = 0; s < slices; ++s) {
    // Four independent chains: one FMA chain alone would wait its 4-cycle latency on every tier.
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps(),
           acc3 = _mm512_setzero_ps();
    std::uint32_t k = a.layer_ptr[2 * s];
    const std::uint32_t full_end = a.layer_ptr[2 * s + 1];
    const std::uint32_t end = a.layer_ptr[2 * s + 2];
    const auto x_of = [&](std::uint32_t layer) { return _mm512_loadu_ps(a.x + window_of(a, layer)); };
    for (; k + 4 <= full_end; k += 4) {
      // One 64-bit load brings the four tiers' window starts: the loop is bound by its loads (the window's
      // activations take two where they cross a cache line), and this saved ~5-15% (Alex-6/7, VGG-7, one thread).
      std::uint64_t four;
      std::memcpy(&four, a.windows + k, sizeof four);
      const auto x_at = [&](int i) {
        return _mm512_loadu_ps(a.x + (static_cast<std::size_t>((four >> (16 * i)) & 0xffff) << a.window_shift));
      };
      acc0 = layer_fma<Planes, L>(a, k, table, x_at(0), acc0);
      acc1 = layer_fma<Planes, L>(a, k + 1, table, x_at(1), acc1);
      acc2 = layer_fma<Planes, L>(a, k + 2, table, x_at(2), acc2);
      acc3 = layer_fma<Planes, L>(a, k + 3, table, x_at(3), acc3);
    }
    for (; k < full_end; ++k) acc0 = layer_fma<Planes, L>(a, k, table, x_of(k), acc0);
    for (; k < end; ++k) {  // windows that end past the input: load only the activations that exist
      const std::int64_t first = window_of(a, k);
      acc1 = layer_fma<Planes, L>(a, k, table, _mm512_maskz_loadu_ps(first_lanes(a.cols - first), a.x + first), acc1);
    }
    finish_slice(a, s, _mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)), a.y);
  }
}

// Batch elements [b0, b0 + N): each tier decoded once, then one permute and one FMA per element. A slice's
// windows advance a few columns per tier, so consecutive tiers mostly lie in the same pair of aligned panels
// [p, p + 32): the N elements' activations of a pair are loaded once for all of them, without loads that cross a
// cache line, and vpermt2ps picks each lane's activation at (slot >> 4) + (window - p).
template <int N, int Planes, Lanes L>
void spmm_chunk(const SellArgs& a, std::int64_t b0) {
  const Decoder<Planes> decoder(a.table);
  const std::int64_t slices = (a.rows + 15) / 16;
  const float* x = a.x + b0 * a.x_stride;
  for (std::int64_t s = 0; s < slices; ++s) {
    __m512 acc[N];
    for (int i = 0; i < N; ++i) acc[i] = _mm512_setzero_ps();
    const std::uint32_t end = a.layer_ptr[2 * s + 2];
    for (std::uint32_t k = a.layer_ptr[2 * s]; k < end;) {
      const std::int64_t p = window_of(a, k) & ~std::int64_t{15};
      const __mmask16 lo_lanes = first_lanes(a.cols - p), hi_lanes = first_lanes(a.cols - p - 16);
      __m512 lo[N], hi[N];
      for (int i = 0; i < N; ++i) {
        lo[i] = _mm512_maskz_loadu_ps(lo_lanes, x + p + i * a.x_stride);
        hi[i] = _mm512_maskz_loadu_ps(hi_lanes, x + p + 16 + i * a.x_stride);
      }
      for (std::int64_t first; k < end && ((first = window_of(a, k)) & ~std::int64_t{15}) == p; ++k) {
        const __m512i slots = load_slots(a, k);
        const __m512 w = decoder.weights(a, k, slots);
        const __m512i col = _mm512_add_epi32(_mm512_srli_epi32(slots, 4), _mm512_set1_epi32(static_cast<int>(first - p)));
        if constexpr (L == Lanes::all) {
          for (int i = 0; i < N; ++i) acc[i] = _mm512_fmadd_ps(w, _mm512_permutex2var_ps(lo[i], col, hi[i]), acc[i]);
        } else {
          const __mmask16 lanes = lanes_of<L>(a, k, slots);
          for (int i = 0; i < N; ++i) acc[i] = _mm512_mask3_fmadd_ps(w, _mm512_permutex2var_ps(lo[i], col, hi[i]), acc[i], lanes);
        }
      }
    }
    for (int i = 0; i < N; ++i) finish_slice(a, s, acc[i], a.y + (b0 + i) * a.y_stride);
  }
}

template <int Planes, Lanes L>
void spmv_any_batch(const SellArgs& a) {
  if (a.batch == 1) return spmv_batch1<Planes, L>(a);
  std::int64_t b0 = 0;
  for (; b0 + 8 <= a.batch; b0 += 8) spmm_chunk<8, Planes, L>(a, b0);
  switch (a.batch - b0) {
    case 1: return spmm_chunk<1, Planes, L>(a, b0);
    case 2: return spmm_chunk<2, Planes, L>(a, b0);
    case 3: return spmm_chunk<3, Planes, L>(a, b0);
    case 4: return spmm_chunk<4, Planes, L>(a, b0);
    case 5: return spmm_chunk<5, Planes, L>(a, b0);
    case 6: return spmm_chunk<6, Planes, L>(a, b0);
    case 7: return spmm_chunk<7, Planes, L>(a, b0);
    default: return;
  }
}

}  // namespace

void spmv_sell16__avx512(const SellArgs& a) {
  if (a.masks == nullptr) {  // 16-entry table with a reserved zero (layer_plan.cpp)
    return input_is_finite(a) ? spmv_any_batch<0, Lanes::all>(a) : spmv_any_batch<0, Lanes::code>(a);
  }
  switch (a.code_plane_count) {
    case 0: return spmv_any_batch<0, Lanes::stored>(a);
    case 1: return spmv_any_batch<1, Lanes::stored>(a);
    default: return spmv_any_batch<2, Lanes::stored>(a);
  }
}

}  // namespace eie::engine
