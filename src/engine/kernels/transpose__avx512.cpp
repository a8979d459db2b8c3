// AVX-512 transpose: whole 16 x 16 tiles go through registers (16 loads, 64 shuffles, 16 stores); the ragged
// edges fall back to the scalar loop. A batch of 64 over Alex-7's 4096 inputs is 256 K floats each way, moved
// around a tcsr layer on every run.
#include "engine/kernels/intrinsics.h"

#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

void tile16(const float* in, std::int64_t in_stride, float* out, std::int64_t out_stride) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(in + i * in_stride);
  // Interleave 32-bit elements of row pairs, then 64-bit pairs, then 128-bit lanes twice.
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    for (int j = 0; j < 2; ++j) {
      r[i + j] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + j]), _mm512_castps_pd(t[i + j + 2])));
      r[i + j + 2] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + j]), _mm512_castps_pd(t[i + j + 2])));
    }
  }
  for (int i = 0; i < 16; i += 8) {
    for (int j = 0; j < 4; ++j) {
      t[i + j] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0x88);
      t[i + j + 4] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0xdd);
    }
  }
  for (int j = 0; j < 8; ++j) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
    r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
  }
  // r[k] now holds column c of the tile for c = the k-th entry of this order.
  static constexpr int kColumn[16] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
  for (int k = 0; k < 16; ++k) _mm512_storeu_ps(out + kColumn[k] * out_stride, r[k]);
}

}  // namespace

void transpose__avx512(const float* in, std::int64_t in_stride, float* out, std::int64_t out_stride,
                       std::int64_t rows, std::int64_t cols) {
  const std::int64_t whole_rows = rows / 16 * 16, whole_cols = cols / 16 * 16;
  for (std::int64_t r0 = 0; r0 < whole_rows; r0 += 16) {
    for (std::int64_t c0 = 0; c0 < whole_cols; c0 += 16) {
      tile16(in + r0 * in_stride + c0, in_stride, out + c0 * out_stride + r0, out_stride);
    }
  }
  // The edges: the last cols % 16 columns of the whole rows, then the last rows % 16 rows.
  transpose__scalar(in + whole_cols, in_stride, out + whole_cols * out_stride, out_stride, whole_rows,
                    cols - whole_cols);
  transpose__scalar(in + whole_rows * in_stride, in_stride, out + whole_rows, out_stride, rows - whole_rows, cols);
}

}  // namespace eie::engine
