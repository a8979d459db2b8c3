// Rounding fp32 activations to bf16 for the bf16 kernels (sell16x2, tcsrx2). Included only by files built with
// the AVX-512 BF16 flags.
#pragma once

#include "engine/kernels/intrinsics.h"

#include <cstdint>

#include "engine/kernels/first_lanes__avx512.h"

namespace eie::engine {

// The first n of the 32 floats at x (none read beyond them; zero in their place) rounded to bf16, nearest even,
// words in order. Sets in `bad` the words that are not finite in bf16: NaN, Inf, or an fp32 value that rounds
// past bf16's largest.
inline __m512i to_bf16_32(const float* x, std::int64_t n, __mmask32& bad) {
  const __m512 lo = _mm512_maskz_loadu_ps(first_lanes(n), x);
  const __m512 hi = _mm512_maskz_loadu_ps(first_lanes(n - 16), x + 16);
  const __m512i v = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
  const __m512i exponent = _mm512_set1_epi16(0x7f80);
  bad |= _mm512_cmpeq_epi16_mask(_mm512_and_si512(v, exponent), exponent);
  return v;
}

}  // namespace eie::engine
