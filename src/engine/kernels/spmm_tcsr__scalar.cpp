// The portable kernel over the tcsr layout (kernel.h): per row, each entry's decoded weight times the batch's
// activations of its column, accumulated in y.
#include "engine/kernels/kernel.h"

namespace eie::engine {

void spmm_tcsr__scalar(const TcsrArgs& a) {
  const std::int64_t batch = a.batch;
  for (std::int64_t r = 0; r < a.rows; ++r) {
    float* y = a.y + r * batch;
    if (a.first) {
      for (std::int64_t b = 0; b < batch; ++b) y[b] = 0.0f;
    }
    for (std::uint32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k) {
      const unsigned e = a.entries[k];
      const float w = a.table[e >> 8];
      const float* x = a.x + static_cast<std::int64_t>(e & 255u) * batch;
      for (std::int64_t b = 0; b < batch; ++b) y[b] += w * x[b];
    }
    if (a.last) {
      for (std::int64_t b = 0; b < batch; ++b) y[b] = finish(y[b], a, r);
    }
  }
}

}  // namespace eie::engine
