// AVX2 kernel over the sell16 layout (layer_plan.h) for codebooks of at most 16 entries, any batch. The layout is
// the AVX-512 kernel's; a slice's 16 rows are two halves of eight lanes. Per half and tier: the eight one-byte
// slots widen to 32-bit lanes, the code (low nibble) decodes through the table held in two registers (vpermps on
// each, a blend on bit 3 of the code: the blend reads the sign bit, so the slot shifted left by 28), and the
// column (high nibble) picks the lane's activation from the window's 16 activations in two registers the same
// way (bit 3 of the column is bit 7 of the slot, shifted left by 24). No gather (slow on AMD and Intel alike), no
// horizontal sum, no per-row loop: four vpermps, two blends and one FMA per eight slots. As in the AVX-512 kernel,
// lanes without an entry are masked (a blend of the accumulator) unless the input is finite and padding decodes
// to 0, so NaN and Inf propagate exactly as in the reference. Batches run one element after another: from
// LayerPlan::tcsr_min_batch() on, tcsr takes them.
#include "engine/kernels/intrinsics.h"

#include <cstdint>
#include <cstring>

#include "engine/kernels/finish_half__avx2.h"
#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

// Which lanes of a tier hold an entry (the AVX-512 kernel's Lanes): the stored mask, a non-zero code (a
// 16-entry table with a reserved zero), or every lane (finite input, padding decodes to 0).
enum class Lanes { stored, code, all };

struct Window {
  __m256 lo, hi;  // activations window + 0..7 and window + 8..15
};

inline __m256 pick(__m256 lo, __m256 hi, __m256i index, __m256i bit3_in_sign) {
  return _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, index), _mm256_permutevar8x32_ps(hi, index),
                          _mm256_castsi256_ps(bit3_in_sign));
}

// One half (lanes 8 * Half .. 8 * Half + 7) of tier k, accumulated into acc.
template <int Half, Lanes L>
inline __m256 half_fma(const SellArgs& a, std::uint32_t k, const Window& table, const Window& x, __m256 acc) {
  const __m256i slots =
      _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a.slots + 16 * std::size_t{k} + 8 * Half)));
  const __m256 w = pick(table.lo, table.hi, slots, _mm256_slli_epi32(slots, 28));
  const __m256 xv = pick(x.lo, x.hi, _mm256_srli_epi32(slots, 4), _mm256_slli_epi32(slots, 24));
  const __m256 sum = _mm256_fmadd_ps(w, xv, acc);
  if constexpr (L == Lanes::all) {
    return sum;
  } else if constexpr (L == Lanes::code) {
    const __m256i empty = _mm256_cmpeq_epi32(_mm256_and_si256(slots, _mm256_set1_epi32(15)), _mm256_setzero_si256());
    return _mm256_blendv_ps(sum, acc, _mm256_castsi256_ps(empty));
  } else {
    const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i mask = _mm256_set1_epi32(a.masks[k] >> (8 * Half));
    const __m256i held = _mm256_cmpeq_epi32(_mm256_and_si256(mask, bits), bits);
    return _mm256_blendv_ps(acc, sum, _mm256_castsi256_ps(held));
  }
}

template <Lanes L>
inline void layer_fma(const SellArgs& a, std::uint32_t k, const Window& table, const Window& x, __m256& acc_lo,
                      __m256& acc_hi) {
  acc_lo = half_fma<0, L>(a, k, table, x, acc_lo);
  acc_hi = half_fma<1, L>(a, k, table, x, acc_hi);
}

inline Window window_at(const float* x, std::int64_t first) {
  return {_mm256_loadu_ps(x + first), _mm256_loadu_ps(x + first + 8)};
}

// True when no batch element's input holds a NaN or an Inf.
bool input_is_finite(const SellArgs& a) {
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 infinity = _mm256_set1_ps(__builtin_inff());
  int bad = 0;
  for (std::int64_t b = 0; b < a.batch; ++b) {
    const float* x = a.x + b * a.x_stride;
    std::int64_t c = 0;
    for (; c + 8 <= a.cols; c += 8) {
      // |x| < Inf is false for Inf and for NaN (unordered).
      bad |= _mm256_movemask_ps(_mm256_cmp_ps(_mm256_and_ps(_mm256_loadu_ps(x + c), magnitude), infinity, _CMP_NLT_UQ));
    }
    for (; c < a.cols; ++c) bad |= !(x[c] - x[c] == 0.0f);  // NaN for NaN and Inf
  }
  return bad == 0;
}

template <Lanes L>
void spmv_one(const SellArgs& a, const float* x, float* y) {
  const Window table{_mm256_load_ps(a.table), _mm256_load_ps(a.table + 8)};
  const std::int64_t slices = (a.rows + 15) / 16;
  for (std::int64_t s = 0; s < slices; ++s) {
    // Two chains per half: one alone would wait the FMA's latency on every tier.
    __m256 lo0 = _mm256_setzero_ps(), hi0 = _mm256_setzero_ps(), lo1 = _mm256_setzero_ps(),
           hi1 = _mm256_setzero_ps();
    std::uint32_t k = a.layer_ptr[2 * s];
    const std::uint32_t full_end = a.layer_ptr[2 * s + 1];
    const std::uint32_t end = a.layer_ptr[2 * s + 2];
    for (; k + 2 <= full_end; k += 2) {
      std::uint32_t two;  // both tiers' window starts in one load
      std::memcpy(&two, a.windows + k, sizeof two);
      layer_fma<L>(a, k, table, window_at(x, std::int64_t{two & 0xffff} << a.window_shift), lo0, hi0);
      layer_fma<L>(a, k + 1, table, window_at(x, std::int64_t{two >> 16} << a.window_shift), lo1, hi1);
    }
    for (; k < full_end; ++k) {
      layer_fma<L>(a, k, table, window_at(x, std::int64_t{a.windows[k]} << a.window_shift), lo0, hi0);
    }
    for (; k < end; ++k) {  // windows that end past the input: load only the activations that exist
      const std::int64_t first = std::int64_t{a.windows[k]} << a.window_shift;
      const Window part{_mm256_maskload_ps(x + first, first_lanes8(a.cols - first)),
                        _mm256_maskload_ps(x + first + 8, first_lanes8(a.cols - first - 8))};
      layer_fma<L>(a, k, table, part, lo1, hi1);
    }
    finish_half(a, 16 * s, _mm256_add_ps(lo0, lo1), y);
    finish_half(a, 16 * s + 8, _mm256_add_ps(hi0, hi1), y);
  }
}

template <Lanes L>
void spmv_any_batch(const SellArgs& a) {
  for (std::int64_t b = 0; b < a.batch; ++b) spmv_one<L>(a, a.x + b * a.x_stride, a.y + b * a.y_stride);
}

}  // namespace

void spmv_sell16__avx2(const SellArgs& a) {
  if (a.masks == nullptr) {  // 16-entry table with a reserved zero (layer_plan.cpp)
    return input_is_finite(a) ? spmv_any_batch<Lanes::all>(a) : spmv_any_batch<Lanes::code>(a);
  }
  return spmv_any_batch<Lanes::stored>(a);
}

}  // namespace eie::engine
