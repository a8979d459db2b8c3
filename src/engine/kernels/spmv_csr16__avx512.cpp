// AVX-512 kernel. Batch 1: sixteen entries of a row at a time: their 16-bit columns gather sixteen activations
// (x is small and lives in L1), their codes decode through the codebook held in registers (one vpermps for 16
// entries, vpermt2ps for 32, a gather from the L1 table for 256), one FMA. Masked loads and gathers handle the
// row's tail, so no lane ever reads an activation it does not own (NaN and Inf stay where they belong).
// Batch > 1: each entry's weight is decoded once and broadcast against up to 32 batch elements held in two
// accumulators (the weight-stationary M x M of the notes), in chunks of 32 batch elements.
// GCC 12's AVX-512 headers build some intrinsics from _mm512_undefined_ps() and then warn about it.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

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

inline __mmask16 tail_mask(std::uint32_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u); }

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
      const __mmask16 m = tail_mask(end - k);
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

// One row, batch elements [b0, b0 + 16 * Vectors) with the last vector masked by `m`.
template <int Vectors>
inline void spmm_row_chunk(const SpmvArgs& a, std::int64_t r, std::int64_t b0, __mmask16 m) {
  const std::int64_t batch = a.batch;
  float* y = a.y + r * batch + b0;
  __m512 acc[Vectors];
  for (int v = 0; v < Vectors; ++v) {
    const __mmask16 mv = v == Vectors - 1 ? m : __mmask16(0xffff);
    acc[v] = a.first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(mv, y + 16 * v);
  }
  const std::uint32_t end = a.row_ptr[r + 1];
  for (std::uint32_t k = a.row_ptr[r]; k < end; ++k) {
    const __m512 w = _mm512_set1_ps(a.table[a.codes[k]]);
    const float* x = a.x + static_cast<std::int64_t>(a.cols[k]) * batch + b0;
    for (int v = 0; v < Vectors - 1; ++v) acc[v] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + 16 * v), acc[v]);
    acc[Vectors - 1] = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m, x + 16 * (Vectors - 1)), acc[Vectors - 1]);
  }
  for (int v = 0; v < Vectors; ++v) {
    const __mmask16 mv = v == Vectors - 1 ? m : __mmask16(0xffff);
    if (a.last) {
      if (a.bias != nullptr) acc[v] = _mm512_add_ps(acc[v], _mm512_set1_ps(a.bias[r]));
      if (a.activation == Activation::relu) {
        acc[v] = _mm512_max_ps(_mm512_setzero_ps(), acc[v]);  // returns the second operand when it is NaN
      }
    }
    _mm512_mask_storeu_ps(y + 16 * v, mv, acc[v]);
  }
}

// Batch chunks outermost: one chunk of 32 batch elements of the whole panel's activations is 128 bytes per
// column (512 KB for 4096 columns) and stays in L2 while every row of the block streams past it; with the whole
// batch per row instead, each entry's activations came from L3 and the kernel was latency-bound.
constexpr std::int64_t kBatchChunk = 32;

void spmm(const SpmvArgs& a) {
  for (std::int64_t b0 = 0; b0 < a.batch; b0 += kBatchChunk) {
    const std::int64_t n = a.batch - b0 < kBatchChunk ? a.batch - b0 : kBatchChunk;
    const int vectors = static_cast<int>((n + 15) / 16);
    const __mmask16 m = tail_mask(static_cast<std::uint32_t>(n - 16 * (vectors - 1)));
    for (std::int64_t r = 0; r < a.rows; ++r) {
      if (vectors == 1) spmm_row_chunk<1>(a, r, b0, m);
      else spmm_row_chunk<2>(a, r, b0, m);
    }
  }
}

}  // namespace

void spmv_csr16__avx512(const SpmvArgs& a) {
  if (a.batch > 1) return spmm(a);
  switch (a.table_size) {
    case 16: return spmv_batch1<16>(a);
    case 32: return spmv_batch1<32>(a);
    default: return spmv_batch1<256>(a);
  }
}

}  // namespace eie::engine
