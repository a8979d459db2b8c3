// AVX2 kernel over the tcsr layout (see spmm_tcsr__avx512.cpp): up to 32 batch elements of a row in four ymm
// accumulators, one broadcast weight and one FMA per 8 batch elements. The last vector of a chunk is loaded and
// stored with a lane mask, so no lane reads an activation outside the batch.
#include "engine/kernels/intrinsics.h"

#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

inline __m256i lanes(std::int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <int V, bool FullTail>
void rows_chunk(const TcsrArgs& a, std::int64_t b0, __m256i tail) {
  const std::int64_t batch = a.batch;
  const auto load = [&](int v, const float* p) {
    return FullTail || v < V - 1 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, tail);
  };
  // Sets of accumulators take consecutive entries in turn, so that the FMA latency is hidden: four sets for up
  // to 16 batch elements, two above (16 ymm registers in all).
  constexpr int Sets = V <= 2 ? 4 : 2;
  for (std::int64_t r = 0; r < a.rows; ++r) {
    float* y = a.y + r * batch + b0;
    __m256 acc[Sets][V];
    for (int v = 0; v < V; ++v) {
      acc[0][v] = a.first ? _mm256_setzero_ps() : load(v, y + 8 * v);
      for (int u = 1; u < Sets; ++u) acc[u][v] = _mm256_setzero_ps();
    }
    const auto fma_entry = [&](std::uint32_t k, __m256* set) {
      const unsigned e = a.entries[k];
      const __m256 w = _mm256_broadcast_ss(a.table + (e >> 8));
      const float* x = a.x + static_cast<std::int64_t>(e & 255u) * batch + b0;
      for (int v = 0; v < V; ++v) set[v] = _mm256_fmadd_ps(w, load(v, x + 8 * v), set[v]);
    };
    std::uint32_t k = a.row_ptr[r];
    const std::uint32_t end = a.row_ptr[r + 1];
    for (; k + Sets <= end; k += Sets) {
      for (int u = 0; u < Sets; ++u) fma_entry(k + u, acc[u]);
    }
    for (; k < end; ++k) fma_entry(k, acc[0]);
    for (int u = 1; u < Sets; ++u) {
      for (int v = 0; v < V; ++v) acc[0][v] = _mm256_add_ps(acc[0][v], acc[u][v]);
    }
    if (a.last) {
      const __m256 bias = _mm256_set1_ps(a.bias != nullptr ? a.bias[r] : 0.0f);
      for (int v = 0; v < V; ++v) {
        if (a.bias != nullptr) acc[0][v] = _mm256_add_ps(acc[0][v], bias);
        if (a.activation == Activation::relu) acc[0][v] = _mm256_max_ps(_mm256_setzero_ps(), acc[0][v]);  // NaN stays
      }
    }
    for (int v = 0; v < V; ++v) {
      if (FullTail || v < V - 1) _mm256_storeu_ps(y + 8 * v, acc[0][v]);
      else _mm256_maskstore_ps(y + 8 * v, tail, acc[0][v]);
    }
  }
}

}  // namespace

void spmm_tcsr__avx2(const TcsrArgs& a) {
  for (std::int64_t b0 = 0; b0 < a.batch; b0 += 32) {
    const std::int64_t n = a.batch - b0 < 32 ? a.batch - b0 : 32;
    const __m256i tail = lanes(n - 8 * ((n - 1) / 8));
    const bool full = n % 8 == 0;
    switch ((n + 7) / 8) {
      case 1: full ? rows_chunk<1, true>(a, b0, tail) : rows_chunk<1, false>(a, b0, tail); break;
      case 2: full ? rows_chunk<2, true>(a, b0, tail) : rows_chunk<2, false>(a, b0, tail); break;
      case 3: full ? rows_chunk<3, true>(a, b0, tail) : rows_chunk<3, false>(a, b0, tail); break;
      default: full ? rows_chunk<4, true>(a, b0, tail) : rows_chunk<4, false>(a, b0, tail); break;
    }
  }
}

}  // namespace eie::engine
