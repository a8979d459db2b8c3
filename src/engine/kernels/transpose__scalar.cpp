// The portable transpose, in 16 x 16 tiles so that both the reads and the writes stay within a few cache lines.
#include <algorithm>

#include "engine/kernels/kernel.h"

namespace eie::engine {

void transpose__scalar(const float* in, std::int64_t in_stride, float* out, std::int64_t out_stride,
                       std::int64_t rows, std::int64_t cols) {
  for (std::int64_t r0 = 0; r0 < rows; r0 += 16) {
    const std::int64_t r1 = std::min(rows, r0 + 16);
    for (std::int64_t c0 = 0; c0 < cols; c0 += 16) {
      const std::int64_t c1 = std::min(cols, c0 + 16);
      for (std::int64_t r = r0; r < r1; ++r) {
        for (std::int64_t c = c0; c < c1; ++c) out[c * out_stride + r] = in[r * in_stride + c];
      }
    }
  }
}

}  // namespace eie::engine
