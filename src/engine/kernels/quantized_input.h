// The quantization of one input to 8 bits that every int8 kernel applies (kernel.h, spmv_sell16x4__avx512vnni and
// spmv_sell16i8__avx2), so that they share one error bound: x ~ scale * (q - offset) with q in 0..255, offset 0
// and scale = max / 255 for inputs without negative values, else offset 128 and scale = max |x| / 127; each q is
// x / scale rounded to nearest even, plus the offset. The kernels find the largest magnitude and the sign with
// their own vectors and call input_quantization() for the rest.
#pragma once

#include <cstdint>
#include <cstring>

namespace eie::engine {

// One input in 8 bits: x ~ scale * (q - offset).
struct QuantizedInput {
  float scale = 1.0f;
  int offset = 0;
  bool finite = true;  // false: NaN or Inf somewhere, and q is not written
};

// From the bits of the input's largest magnitude (IEEE magnitudes order as integers; Inf and NaN lie above every
// finite one) and whether some value is negative (-0.0 is not).
inline QuantizedInput input_quantization(std::uint32_t largest_magnitude_bits, bool negative) {
  QuantizedInput result;
  if (largest_magnitude_bits >= 0x7f800000u) {
    result.finite = false;
    return result;
  }
  float top;
  std::memcpy(&top, &largest_magnitude_bits, sizeof top);
  result.offset = negative ? 128 : 0;
  top /= negative ? 127.0f : 255.0f;
  if (top > 0.0f) result.scale = top;  // else every value is 0, or so small (under ~4e-43) that it quantizes to 0
  return result;
}

// Below this scale the kernels divide by it: its reciprocal would overflow. Above, one multiply per value by the
// reciprocal is exact enough.
constexpr float kDivideBelowScale = 0x1p-100f;

}  // namespace eie::engine
