// AVX2 kernel: the AVX-512 kernel's structure at eight lanes. A 16-entry codebook decodes with two
// vpermps (one per half) and a blend on bit 3 of the code; larger codebooks gather from the L1 table. Row
// tails of fewer than eight entries run scalar. Batch 1 only: batches run on tcsr.
#include "engine/kernels/intrinsics.h"

#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

template <int TableSize>
inline __m256 decode(__m256i code, __m256 lo, __m256 hi, const float* table) {
  if constexpr (TableSize == 16) {
    (void)table;
    const __m256 from_lo = _mm256_permutevar8x32_ps(lo, code);
    const __m256 from_hi = _mm256_permutevar8x32_ps(hi, code);
    return _mm256_blendv_ps(from_lo, from_hi, _mm256_castsi256_ps(_mm256_slli_epi32(code, 28)));
  } else {
    (void)lo;
    (void)hi;
    return _mm256_i32gather_ps(table, code, 4);
  }
}

template <int TableSize>
void spmv_batch1(const SpmvArgs& a) {
  const __m256 lo = _mm256_load_ps(a.table);
  const __m256 hi = _mm256_load_ps(a.table + 8);
  for (std::int64_t r = 0; r < a.rows; ++r) {
    std::uint32_t k = a.row_ptr[r];
    const std::uint32_t end = a.row_ptr[r + 1];
    __m256 acc0 = _mm256_setzero_ps();
    __m256 acc1 = _mm256_setzero_ps();
    for (; k + 16 <= end; k += 16) {
      const __m256i c0 = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.cols + k)));
      const __m256i c1 = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.cols + k + 8)));
      const __m256i q0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a.codes + k)));
      const __m256i q1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a.codes + k + 8)));
      acc0 = _mm256_fmadd_ps(decode<TableSize>(q0, lo, hi, a.table), _mm256_i32gather_ps(a.x, c0, 4), acc0);
      acc1 = _mm256_fmadd_ps(decode<TableSize>(q1, lo, hi, a.table), _mm256_i32gather_ps(a.x, c1, 4), acc1);
    }
    if (k + 8 <= end) {
      const __m256i c = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.cols + k)));
      const __m256i q = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a.codes + k)));
      acc0 = _mm256_fmadd_ps(decode<TableSize>(q, lo, hi, a.table), _mm256_i32gather_ps(a.x, c, 4), acc0);
      k += 8;
    }
    const __m256 acc = _mm256_add_ps(acc0, acc1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float sum = _mm_cvtss_f32(s);
    for (; k < end; ++k) sum += a.table[a.codes[k]] * a.x[a.cols[k]];
    if (!a.first) sum += a.y[r];
    a.y[r] = a.last ? finish(sum, a, r) : sum;
  }
}

}  // namespace

void spmv_csr16__avx2(const SpmvArgs& a) {
  if (a.table_size == 16) return spmv_batch1<16>(a);
  return spmv_batch1<256>(a);
}

}  // namespace eie::engine
