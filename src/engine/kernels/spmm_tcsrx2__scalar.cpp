// The portable kernel over the tcsrx2 layout (layer_plan.h, kernel.h), precision bf16: plain C++ that computes
// what spmm_tcsrx2__avx512bf16 computes (each pair's two weights from the pair table in bf16, the activations
// rounded to bf16, products exact in fp32, summed in fp32), so that the layout runs and is tested on every CPU.
// A row's odd last entry is paired with the padding code, whose product is skipped (NaN and Inf propagate as in
// the reference). It ignores TcsrArgs::x_bf16: each activation is rounded where it is read.
#include <cstdint>

#include "engine/kernels/bf16_round.h"
#include "engine/kernels/kernel.h"

namespace eie::engine {

void spmm_tcsrx2__scalar(const TcsrArgs& a) {
  const auto entries = static_cast<std::uint32_t>(a.table_entries);
  for (std::int64_t r = 0; r < a.rows; ++r) {
    float* y = a.y + r * a.batch;
    for (std::int64_t b = 0; b < a.batch; ++b) {
      float sum = 0.0f;
      for (std::uint32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k) {
        const std::uint32_t pair = a.pairs[k];
        const std::uint32_t codes = pair >> 16;
        const std::uint32_t weights = a.pair_table[codes];
        sum += bf16_value(static_cast<std::uint16_t>(weights)) * bf16_round(a.x[(pair & 255u) * a.batch + b]);
        if (codes % entries != static_cast<std::uint32_t>(a.pad_code)) {
          sum += bf16_value(static_cast<std::uint16_t>(weights >> 16)) *
                 bf16_round(a.x[((pair >> 8) & 255u) * a.batch + b]);
        }
      }
      if (!a.first) sum += y[b];
      y[b] = a.last ? finish(sum, a, r) : sum;
    }
  }
}

}  // namespace eie::engine
