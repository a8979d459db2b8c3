// The portable kernel over the sell16x2 layout (layer_plan.h, kernel.h), precision bf16, any batch: plain C++
// that computes what spmv_sell16x2__avx512bf16 computes (inputs and codebook rounded to bf16, products exact in
// fp32, summed in fp32), so that the layout and its precision run and are tested on every CPU. Lanes 2l and
// 2l + 1 of a tier hold entries of the slice's row l; a slot whose code is the padding code holds none and is
// skipped, so NaN and Inf propagate as in the reference. It ignores SellArgs::x_bf16: each activation is rounded
// where it is read.
#include <cstdint>

#include "engine/kernels/bf16_round.h"
#include "engine/kernels/kernel.h"

namespace eie::engine {

void spmv_sell16x2__scalar(const SellArgs& a) {
  const std::int64_t slices = (a.rows + 15) / 16;
  const auto planes = static_cast<std::size_t>(a.code_plane_count);
  for (std::int64_t b = 0; b < a.batch; ++b) {
    const float* x = a.x + b * a.x_stride;
    float* y = a.y + b * a.y_stride;
    for (std::int64_t s = 0; s < slices; ++s) {
      float acc[16] = {};
      for (std::uint32_t k = a.layer_ptr[2 * s]; k < a.layer_ptr[2 * s + 2]; ++k) {
        const std::int64_t window = std::int64_t{a.windows[k]} << a.window_shift;
        const std::uint8_t* slots = a.slots + 32 * std::size_t{k};
        for (int lane = 0; lane < 32; ++lane) {
          unsigned code = slots[lane] & 15u;
          for (std::size_t p = 0; p < planes; ++p) {  // 32-bit planes: two 16-bit words, low first
            const std::uint16_t word = a.code_planes[2 * planes * k + 2 * p + static_cast<std::size_t>(lane / 16)];
            code |= ((word >> (lane % 16)) & 1u) << (4 + p);
          }
          if (code == static_cast<unsigned>(a.pad_code)) continue;
          acc[lane / 2] += bf16_round(a.table[code]) * bf16_round(x[window + (slots[lane] >> 4)]);
        }
      }
      const std::int64_t lanes = a.rows - 16 * s < 16 ? a.rows - 16 * s : 16;
      for (std::int64_t l = 0; l < lanes; ++l) y[16 * s + l] = finish(acc[l], a, 16 * s + l);
    }
  }
}

}  // namespace eie::engine
