// The activation-skipping M x V over the csc layout (kernel.h): for each non-zero activation, its column's
// entries are added into the block's outputs, which stay in L1 (a block of 2048 rows is 8 KB). Each visited
// entry costs a load of the entry, a table lookup and a read-modify-write of its output row: ~2.3-3 cycles on
// a Zen 5 core, against ~0.3-0.5 cycles per stored entry for sell16, which visits every entry. So this kernel
// wins when fewer than ~10-20% of the activations are non-zero, and the plan picks it per run by the input's
// density (layer_plan.cpp, kCscCyclesPerVisit).
#include <algorithm>

#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

template <class Entry, int CodeBits>
void spmv_csc(const CscArgs& a, const Entry* entries) {
  constexpr Entry code_mask = (Entry{1} << CodeBits) - 1;
  float* y = a.y;
  std::fill(y, y + a.rows, 0.0f);
  for (std::int64_t j = 0; j < a.cols; ++j) {
    const float xj = a.x[j];
    if (xj == 0.0f) continue;  // the point of the layout; NaN is not 0 and is visited
    const Entry* e = entries + a.col_ptr[j];
    const Entry* end = entries + a.col_ptr[j + 1];
    // Two entries per round: their rows differ (one column), so the two updates are independent.
    for (; e + 2 <= end; e += 2) {
      const Entry e0 = e[0], e1 = e[1];
      y[e0 >> CodeBits] += a.table[e0 & code_mask] * xj;
      y[e1 >> CodeBits] += a.table[e1 & code_mask] * xj;
    }
    if (e < end) y[*e >> CodeBits] += a.table[*e & code_mask] * xj;
  }
  for (std::int64_t r = 0; r < a.rows; ++r) y[r] = finish(y[r], a, r);
}

}  // namespace

void spmv_csc__scalar(const CscArgs& a) {
  if (a.entries16 != nullptr) return spmv_csc<std::uint16_t, 4>(a, a.entries16);
  return spmv_csc<std::uint32_t, 8>(a, a.entries32);
}

}  // namespace eie::engine
