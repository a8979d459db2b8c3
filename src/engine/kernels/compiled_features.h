// The body of compiled_features__<suffix>(): the features the compiler enabled in the including file, read from
// its predefined macros. Included only by the compiled_features__*.cpp files (one per family of kernel files).
#pragma once

#include "engine/kernels/cpu_features.h"

namespace eie::engine {

constexpr std::uint32_t features_enabled_here() {
  std::uint32_t f = 0;
#ifdef __SSE3__
  f |= kSse3;
#endif
#ifdef __SSSE3__
  f |= kSsse3;
#endif
#ifdef __SSE4_1__
  f |= kSse41;
#endif
#ifdef __SSE4_2__
  f |= kSse42;
#endif
#ifdef __POPCNT__
  f |= kPopcnt;
#endif
#ifdef __AVX__
  f |= kAvx;
#endif
#ifdef __AVX2__
  f |= kAvx2;
#endif
#ifdef __FMA__
  f |= kFma;
#endif
#ifdef __F16C__
  f |= kF16c;
#endif
#ifdef __BMI2__
  f |= kBmi2;
#endif
#ifdef __AVX512F__
  f |= kAvx512f;
#endif
#ifdef __AVX512BW__
  f |= kAvx512bw;
#endif
#ifdef __AVX512VL__
  f |= kAvx512vl;
#endif
#ifdef __AVX512DQ__
  f |= kAvx512dq;
#endif
#ifdef __AVX512VBMI__
  f |= kAvx512vbmi;
#endif
#ifdef __AVX512VNNI__
  f |= kAvx512vnni;
#endif
#ifdef __AVX512BF16__
  f |= kAvx512bf16;
#endif
#ifdef __BMI__
  f |= kBmi;
#endif
#ifdef __AVX512CD__
  f |= kAvx512cd;
#endif
#ifdef __AVX512VBMI2__
  f |= kAvx512vbmi2;
#endif
#ifdef __AVX512IFMA__
  f |= kAvx512ifma;
#endif
#ifdef __GFNI__
  f |= kGfni;
#endif
#ifdef __AVXVNNI__
  f |= kAvxvnni;
#endif
  return f;
}

}  // namespace eie::engine
