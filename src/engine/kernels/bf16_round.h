// Rounding to bfloat16 for the portable bf16 kernels (sell16x2, tcsrx2): what vcvtne2ps2bf16 does to one value.
#pragma once

#include <cstdint>
#include <cstring>

namespace eie::engine {

// `value` rounded to bf16 (nearest even; denormals to zero of their sign, as the AVX-512 BF16 instructions
// read them), returned as the fp32 with the same value. NaN stays NaN, Inf stays Inf.
inline float bf16_round(float value) {
  std::uint32_t u;
  std::memcpy(&u, &value, sizeof u);
  if ((u & 0x7f800000u) == 0) {
    u &= 0x80000000u;
  } else if ((u & 0x7fffffffu) > 0x7f800000u) {
    u |= 0x00400000u;  // quiet NaN
  } else {
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  }
  float out;
  std::memcpy(&out, &u, sizeof out);
  return out;
}

// The fp32 value of the bf16 word `bits`.
inline float bf16_value(std::uint16_t bits) {
  const std::uint32_t u = std::uint32_t{bits} << 16;
  float out;
  std::memcpy(&out, &u, sizeof out);
  return out;
}

}  // namespace eie::engine
