// NEON kernel over the tcsr layout (kernel.h, TcsrArgs): the AVX2 kernel's structure at four lanes. Up to 32 batch
// elements of a row in eight accumulators, each entry's weight decoded once (a scalar load from the codebook) and
// multiplied into four batch elements per FMA (fmla by element). Two sets of accumulators take consecutive
// entries in turn where the chunk is narrow, so that the FMA latency is hidden. The last 1-3 elements of a batch
// that is not a multiple of four run a scalar loop over the same entries.
#include <arm_neon.h>

#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

// Batch elements [b0, b0 + 4V) of every row.
template <int V>
void rows_chunk(const TcsrArgs& a, std::int64_t b0) {
  const std::int64_t batch = a.batch;
  constexpr int Sets = V <= 4 ? 2 : 1;
  for (std::int64_t r = 0; r < a.rows; ++r) {
    float* y = a.y + r * batch + b0;
    float32x4_t acc[Sets][V];
    for (int v = 0; v < V; ++v) {
      acc[0][v] = a.first ? vdupq_n_f32(0.0f) : vld1q_f32(y + 4 * v);
      for (int u = 1; u < Sets; ++u) acc[u][v] = vdupq_n_f32(0.0f);
    }
    const auto fma_entry = [&](std::uint32_t k, float32x4_t* set) {
      const unsigned e = a.entries[k];
      const float w = a.table[e >> 8];
      const float* x = a.x + static_cast<std::int64_t>(e & 255u) * batch + b0;
      for (int v = 0; v < V; ++v) set[v] = vfmaq_n_f32(set[v], vld1q_f32(x + 4 * v), w);
    };
    std::uint32_t k = a.row_ptr[r];
    const std::uint32_t end = a.row_ptr[r + 1];
    for (; k + Sets <= end; k += Sets) {
      for (int u = 0; u < Sets; ++u) fma_entry(k + u, acc[u]);
    }
    for (; k < end; ++k) fma_entry(k, acc[0]);
    for (int u = 1; u < Sets; ++u) {
      for (int v = 0; v < V; ++v) acc[0][v] = vaddq_f32(acc[0][v], acc[u][v]);
    }
    if (a.last) {
      const float32x4_t bias = vdupq_n_f32(a.bias != nullptr ? a.bias[r] : 0.0f);
      for (int v = 0; v < V; ++v) {
        if (a.bias != nullptr) acc[0][v] = vaddq_f32(acc[0][v], bias);
        if (a.activation == Activation::relu) acc[0][v] = vmaxq_f32(vdupq_n_f32(0.0f), acc[0][v]);  // NaN stays
      }
    }
    for (int v = 0; v < V; ++v) vst1q_f32(y + 4 * v, acc[0][v]);
  }
}

// Batch elements [b0, b0 + n) of every row, one at a time.
void rows_scalar(const TcsrArgs& a, std::int64_t b0, std::int64_t n) {
  const std::int64_t batch = a.batch;
  for (std::int64_t r = 0; r < a.rows; ++r) {
    float* y = a.y + r * batch + b0;
    for (std::int64_t b = 0; b < n; ++b) {
      float sum = a.first ? 0.0f : y[b];
      for (std::uint32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k) {
        const unsigned e = a.entries[k];
        sum += a.table[e >> 8] * a.x[static_cast<std::int64_t>(e & 255u) * batch + b0 + b];
      }
      y[b] = a.last ? finish(sum, a, r) : sum;
    }
  }
}

}  // namespace

void spmm_tcsr__neon(const TcsrArgs& a) {
  std::int64_t b0 = 0;
  for (; b0 + 32 <= a.batch; b0 += 32) rows_chunk<8>(a, b0);
  switch ((a.batch - b0) / 4) {
    case 1: rows_chunk<1>(a, b0); break;
    case 2: rows_chunk<2>(a, b0); break;
    case 3: rows_chunk<3>(a, b0); break;
    case 4: rows_chunk<4>(a, b0); break;
    case 5: rows_chunk<5>(a, b0); break;
    case 6: rows_chunk<6>(a, b0); break;
    case 7: rows_chunk<7>(a, b0); break;
    default: break;
  }
  b0 += (a.batch - b0) / 4 * 4;
  if (b0 < a.batch) rows_scalar(a, b0, a.batch - b0);
}

}  // namespace eie::engine
