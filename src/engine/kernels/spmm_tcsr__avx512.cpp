// AVX-512 kernel over the tcsr layout (kernel.h, layer_plan.h): batches. Per row of the block, up to 64 batch
// elements sit in four accumulators; each entry is one scalar load of its 16-bit word, one broadcast of its
// decoded weight from the table (L1) and one FMA per 16 batch elements with the activations as the memory
// operand. The panel's activations are at most 256 columns x 64 batch elements x 4 bytes = 64 KB: they stay in
// L1/L2 while the rows stream past, where csr16's full-width rows took each entry's activations from L3.
// Against sell16 at batch 64 there is no permute per batch element and no padding slot (docs/engine.md).
#include "engine/kernels/intrinsics.h"

#include "engine/kernels/first_lanes__avx512.h"
#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

// Rows of the block for batch elements [b0, b0 + 16 * (V - 1) + popcount(tail)).
// FullTail: the last vector is whole too, so every activation load can be the FMA's memory operand.
template <int V, bool FullTail>
void rows_chunk(const TcsrArgs& a, std::int64_t b0, __mmask16 tail) {
  const std::int64_t batch = a.batch;
  const auto mask = [&](int v) { return v == V - 1 ? tail : __mmask16(0xffff); };
  const auto load = [&](int v, const float* p) {
    return FullTail || v < V - 1 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(tail, p);
  };
  for (std::int64_t r = 0; r < a.rows; ++r) {
    float* y = a.y + r * batch + b0;
    // Four sets of accumulators take consecutive entries in turn: one set alone waits the FMA's 4-cycle latency
    // on every entry (batch 2 then took as long as batch 16).
    __m512 acc[4][V];
    for (int v = 0; v < V; ++v) {
      acc[0][v] = a.first ? _mm512_setzero_ps() : load(v, y + 16 * v);
      for (int u = 1; u < 4; ++u) acc[u][v] = _mm512_setzero_ps();
    }
    const auto fma_entry = [&](std::uint32_t k, __m512* set) {
      const unsigned e = a.entries[k];
      const __m512 w = _mm512_set1_ps(a.table[e >> 8]);
      const float* x = a.x + static_cast<std::int64_t>(e & 255u) * batch + b0;
      // Masked-off lanes are never read: a NaN beyond the batch cannot leak in.
      for (int v = 0; v < V; ++v) set[v] = _mm512_fmadd_ps(w, load(v, x + 16 * v), set[v]);
    };
    std::uint32_t k = a.row_ptr[r];
    const std::uint32_t end = a.row_ptr[r + 1];
    for (; k + 4 <= end; k += 4) {
      for (int u = 0; u < 4; ++u) fma_entry(k + u, acc[u]);
    }
    for (; k < end; ++k) fma_entry(k, acc[0]);
    for (int v = 0; v < V; ++v) acc[0][v] = _mm512_add_ps(_mm512_add_ps(acc[0][v], acc[1][v]), _mm512_add_ps(acc[2][v], acc[3][v]));
    if (a.last) {
      const __m512 bias = _mm512_set1_ps(a.bias != nullptr ? a.bias[r] : 0.0f);
      for (int v = 0; v < V; ++v) {
        if (a.bias != nullptr) acc[0][v] = _mm512_add_ps(acc[0][v], bias);
        if (a.activation == Activation::relu) acc[0][v] = _mm512_max_ps(_mm512_setzero_ps(), acc[0][v]);  // NaN stays
      }
    }
    for (int v = 0; v < V; ++v) _mm512_mask_storeu_ps(y + 16 * v, mask(v), acc[0][v]);
  }
}

}  // namespace

void spmm_tcsr__avx512(const TcsrArgs& a) {
  // Chunks of 64 batch elements outermost: a chunk of the panel's activations is then 64 KB at most.
  for (std::int64_t b0 = 0; b0 < a.batch; b0 += 64) {
    const std::int64_t n = a.batch - b0 < 64 ? a.batch - b0 : 64;
    const __mmask16 tail = first_lanes(n - 16 * ((n - 1) / 16));
    const bool full = n % 16 == 0;
    switch ((n + 15) / 16) {
      case 1: full ? rows_chunk<1, true>(a, b0, tail) : rows_chunk<1, false>(a, b0, tail); break;
      case 2: full ? rows_chunk<2, true>(a, b0, tail) : rows_chunk<2, false>(a, b0, tail); break;
      case 3: full ? rows_chunk<3, true>(a, b0, tail) : rows_chunk<3, false>(a, b0, tail); break;
      default: full ? rows_chunk<4, true>(a, b0, tail) : rows_chunk<4, false>(a, b0, tail); break;
    }
  }
}

}  // namespace eie::engine
