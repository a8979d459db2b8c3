// The AVX-512 kernels' mask for a partial vector at the end of a row, a block or an input. Included only by
// *__avx512.cpp files, which are built with the instruction-set flags.
#pragma once

#include "engine/kernels/intrinsics.h"

#include <cstdint>

namespace eie::engine {

// The first n of 16 lanes: none for n <= 0, all for n >= 16.
inline __mmask16 first_lanes(std::int64_t n) {
  return n >= 16 ? __mmask16(0xffff) : n <= 0 ? __mmask16(0) : static_cast<__mmask16>((1u << n) - 1u);
}

}  // namespace eie::engine
