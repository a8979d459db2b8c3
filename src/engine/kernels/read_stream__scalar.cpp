// The portable read stream (see read_stream__avx512.cpp); the compiler vectorises it for the baseline ISA.
#include <cstddef>

namespace eie::engine {

float read_stream__scalar(const float* data, std::size_t count) {
  float acc[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= count; i += 16) {
    for (int u = 0; u < 16; ++u) acc[u] += data[i + static_cast<std::size_t>(u)];
  }
  float sum = 0.0f;
  for (; i < count; ++i) sum += data[i];
  for (float a : acc) sum += a;
  return sum;
}

}  // namespace eie::engine
