// Streams a buffer through 512-bit loads (eight independent sums): the yardstick the benchmarks hold a kernel's
// effective bandwidth against, for a buffer of the kernel's own footprint.
#include "engine/kernels/intrinsics.h"

#include <cstddef>

namespace eie::engine {

float read_stream__avx512(const float* data, std::size_t count) {
  __m512 acc[8];
  for (auto& a : acc) a = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 128 <= count; i += 128) {
    for (int u = 0; u < 8; ++u) acc[u] = _mm512_add_ps(acc[u], _mm512_loadu_ps(data + i + 16 * u));
  }
  float sum = 0.0f;
  for (; i < count; ++i) sum += data[i];
  for (auto& a : acc) sum += _mm512_reduce_add_ps(a);
  return sum;
}

}  // namespace eie::engine
