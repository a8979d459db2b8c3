// The portable kernel, and the specification the vector kernels are read against: for each row, walk its
// entries and accumulate table[code] * x[col]. Four accumulators keep the floating-point adds from forming one
// long dependency chain.
#include "engine/kernels/kernel.h"

namespace eie::engine {

void spmv_csr16__scalar(const SpmvArgs& a) {
  for (std::int64_t r = 0; r < a.rows; ++r) {
    const std::uint32_t begin = a.row_ptr[r];
    const std::uint32_t end = a.row_ptr[r + 1];
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    std::uint32_t k = begin;
    for (; k + 4 <= end; k += 4) {
      for (int u = 0; u < 4; ++u) acc[u] += a.table[a.codes[k + u]] * a.x[a.cols[k + u]];
    }
    for (; k < end; ++k) acc[0] += a.table[a.codes[k]] * a.x[a.cols[k]];
    float sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    if (!a.first) sum += a.y[r];
    a.y[r] = a.last ? finish(sum, a, r) : sum;
  }
}

}  // namespace eie::engine
