// AVX-512 kernel. Batch 1: sixteen entries of a row at a time: their 16-bit columns gather sixteen activations
// (x is small and lives in L1), their codes decode through the codebook held in registers (one vpermps for 16
// entries, vpermt2ps for 32, a gather from the L1 table for 256), one FMA. Masked loads and gathers handle the
// row's tail, so no lane ever reads an activation it does not own (NaN and Inf stay where they belong).
// Batch 1 only: batches run on tcsr (spmm_tcsr__avx512.cpp).
// GCC 12's AVX-512 headers build some intrinsics from _mm512_undefined_ps() and then warn about it.
#include "engine/kernels/intrinsics.h"

#include "engine/kernels/first_lanes__avx512.h"
#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

template <int TableSize>
inline __m512 decode(__m512i code, __m512 t0, __m512 t1, const float* table) {
  if constexpr (TableSize == 16) {
    (void)t1;
    (void)table;
    return _mm512_permutexvar_ps(code, t0);
  } else if constexpr (TableSize == 32) {
    (void)table;
    return _mm512_permutex2var_ps(t0, code, t1);
  } else {
    (void)t0;
    (void)t1;
    return _mm512_i32gather_ps(code, table, 4);
  }
}

template <int TableSize>
void spmv_batch1(const SpmvArgs& a) {
  const __m512 t0 = _mm512_load_ps(a.table);
  const __m512 t1 = TableSize >= 32 ? _mm512_load_ps(a.table + 16) : _mm512_setzero_ps();
  for (std::int64_t r = 0; r < a.rows; ++r) {
    std::uint32_t k = a.row_ptr[r];
    const std::uint32_t end = a.row_ptr[r + 1];
    __m512 acc0 = _mm512_setzero_ps();
    __m512 acc1 = _mm512_setzero_ps();
    for (; k + 32 <= end; k += 32) {
      const __m512i c0 = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.cols + k)));
      const __m512i c1 =
          _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.cols + k + 16)));
      const __m512i q0 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.codes + k)));
      const __m512i q1 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.codes + k + 16)));
      acc0 = _mm512_fmadd_ps(decode<TableSize>(q0, t0, t1, a.table), _mm512_i32gather_ps(c0, a.x, 4), acc0);
      acc1 = _mm512_fmadd_ps(decode<TableSize>(q1, t0, t1, a.table), _mm512_i32gather_ps(c1, a.x, 4), acc1);
    }
    for (; k < end; k += 16) {
      const __mmask16 m = first_lanes(end - k);
      const __m512i c = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, a.cols + k));
      const __m512i q = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, a.codes + k));
      const __m512 x = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, c, a.x, 4);
      acc0 = _mm512_mask3_fmadd_ps(decode<TableSize>(q, t0, t1, a.table), x, acc0, m);
    }
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    if (!a.first) sum += a.y[r];
    a.y[r] = a.last ? finish(sum, a, r) : sum;
  }
}

}  // namespace

void spmv_csr16__avx512(const SpmvArgs& a) {
  switch (a.table_size) {
    case 16: return spmv_batch1<16>(a);
    case 32: return spmv_batch1<32>(a);
    default: return spmv_batch1<256>(a);
  }
}

}  // namespace eie::engine
