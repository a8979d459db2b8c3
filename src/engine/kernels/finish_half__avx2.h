// The end of half a slice (eight rows) in the AVX2 sell16 kernels (fp32 and int8): bias, activation and a masked
// store. Included only by files built with the AVX2 flags.
#pragma once

#include "engine/kernels/intrinsics.h"

#include <cstdint>

#include "engine/kernels/kernel.h"

namespace eie::engine {

// The first n of 8 lanes as a maskload/maskstore mask (sign bits): none for n <= 0, all for n >= 8.
inline __m256i first_lanes8(std::int64_t n) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int count = n <= 0 ? 0 : n >= 8 ? 8 : static_cast<int>(n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), lane);
}

// y = bias + activation over the eight rows from first_row, stored to the rows the block has.
inline void finish_half(const SellArgs& a, std::int64_t first_row, __m256 y, float* out) {
  const __m256i rows = first_lanes8(a.rows - first_row);
  if (a.bias != nullptr) y = _mm256_add_ps(y, _mm256_maskload_ps(a.bias + first_row, rows));
  if (a.activation == Activation::relu) y = _mm256_max_ps(_mm256_setzero_ps(), y);  // NaN stays NaN
  _mm256_maskstore_ps(out + first_row, rows, y);
}

}  // namespace eie::engine
