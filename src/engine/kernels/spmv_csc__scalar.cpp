// The activation-skipping M x V over the csc layout (kernel.h): for each non-zero activation, its column's
// entries are added into the block's outputs, which stay in L1 (a block of 2048 rows is 8 KB). Each visited
// entry costs a load of the entry, a table lookup and a read-modify-write of its output row: ~2.3-3 cycles on
// a Zen 5 core, against ~0.3-0.5 cycles per stored entry for sell16, which visits every entry. So this kernel
// wins when fewer than ~10-20% of the activations are non-zero, and the plan picks it per run by the input's
// density (cost_model.h, kCscCyclesPerVisit).
#include <algorithm>

#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

template <class Entry, int CodeBits>
void spmv_csc(const CscArgs& a, const Entry* entries) {
  constexpr Entry code_mask = (Entry{1} << CodeBits) - 1;
  // 16-entry tables are scaled by the activation once per column (16 products), which saves a multiply per
  // entry (~7% in a scratch loop); a 256-entry table would cost more to scale than most columns' entries.
  constexpr bool scale_table = CodeBits == 4;
  float scaled[16];
  float* y = a.y;
  std::fill(y, y + a.rows, 0.0f);
  for (std::int64_t j = 0; j < a.cols; ++j) {
    const float xj = a.x[j];
    if (xj == 0.0f) continue;  // the point of the layout; NaN is not 0 and is visited
    const auto weight_times_x = [&](Entry e) {
      if constexpr (scale_table) return scaled[e & code_mask];
      return a.table[e & code_mask] * xj;
    };
    if constexpr (scale_table) {
      for (int c = 0; c < 16; ++c) scaled[c] = a.table[c] * xj;
    }
    const Entry* e = entries + a.col_ptr[j];
    const Entry* end = entries + a.col_ptr[j + 1];
    // Four entries per round: their rows differ (one column), so the four updates are independent.
    for (; e + 4 <= end; e += 4) {
      const Entry e0 = e[0], e1 = e[1], e2 = e[2], e3 = e[3];
      y[e0 >> CodeBits] += weight_times_x(e0);
      y[e1 >> CodeBits] += weight_times_x(e1);
      y[e2 >> CodeBits] += weight_times_x(e2);
      y[e3 >> CodeBits] += weight_times_x(e3);
    }
    for (; e < end; ++e) y[*e >> CodeBits] += weight_times_x(*e);
  }
  for (std::int64_t r = 0; r < a.rows; ++r) y[r] = finish(y[r], a, r);
}

}  // namespace

void spmv_csc__scalar(const CscArgs& a) {
  if (a.entries16 != nullptr) return spmv_csc<std::uint16_t, 4>(a, a.entries16);
  return spmv_csc<std::uint32_t, 8>(a, a.entries32);
}

}  // namespace eie::engine
