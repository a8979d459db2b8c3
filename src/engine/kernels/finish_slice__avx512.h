// The end of a slice of 16 rows in the sell16 kernels (fp32 and bf16): bias, activation and a masked store.
// Included only by files built with the AVX-512 flags.
#pragma once

#include "engine/kernels/intrinsics.h"

#include <cstdint>

#include "engine/kernels/first_lanes__avx512.h"
#include "engine/kernels/kernel.h"

namespace eie::engine {

// y = bias + activation over slice s's accumulator, stored masked to the slice's rows.
inline void finish_slice(const SellArgs& a, std::int64_t s, __m512 y, float* out) {
  const __mmask16 rows = first_lanes(a.rows - 16 * s);
  if (a.bias != nullptr) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(rows, a.bias + 16 * s));
  if (a.activation == Activation::relu) y = _mm512_max_ps(_mm512_setzero_ps(), y);  // NaN stays NaN
  _mm512_mask_storeu_ps(out + 16 * s, rows, y);
}

}  // namespace eie::engine
