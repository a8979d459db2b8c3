// The portable kernel over the sell16 layout (layer_plan.h), every codebook of at most 64 entries and every
// batch size: plain C++ with no instruction-set flags, so that the layout runs (and is tested) on every CPU, and
// the specification the vector kernels are read against. Per slice and tier it walks the 16 lanes, skips those
// without an entry (the stored mask, or code 0 where the plan stores none), and adds the lane's decoded weight
// times its activation to the lane's row. Padding is skipped, never multiplied, so NaN and Inf propagate as in
// the reference. It runs where an instruction set has no sell16 kernel of its own (scalar; AVX2 with codebooks of
// over 16 entries) when EngineOptions::layout forces sell16: the planner never picks it itself.
#include <cstdint>

#include "engine/kernels/kernel.h"

namespace eie::engine {

void spmv_sell16__scalar(const SellArgs& a) {
  const std::int64_t slices = (a.rows + 15) / 16;
  for (std::int64_t b = 0; b < a.batch; ++b) {
    const float* x = a.x + b * a.x_stride;
    float* y = a.y + b * a.y_stride;
    for (std::int64_t s = 0; s < slices; ++s) {
      float acc[16] = {};
      const std::uint32_t begin = a.layer_ptr[2 * s];
      const std::uint32_t end = a.layer_ptr[2 * s + 2];
      for (std::uint32_t k = begin; k < end; ++k) {
        const std::int64_t window = std::int64_t{a.windows[k]} << a.window_shift;
        const std::uint8_t* slots = a.slots + 16 * std::size_t{k};
        for (int l = 0; l < 16; ++l) {
          unsigned code = slots[l] & 15u;
          for (int p = 0; p < a.code_plane_count; ++p) {
            code |= ((a.code_planes[std::size_t{k} * static_cast<std::size_t>(a.code_plane_count) +
                                    static_cast<std::size_t>(p)] >> l) & 1u) << (4 + p);
          }
          const bool held = a.masks != nullptr ? ((a.masks[k] >> l) & 1u) != 0 : code != 0;
          if (held) acc[l] += a.table[code] * x[window + (slots[l] >> 4)];
        }
      }
      const std::int64_t lanes = a.rows - 16 * s < 16 ? a.rows - 16 * s : 16;
      for (std::int64_t l = 0; l < lanes; ++l) y[16 * s + l] = finish(acc[l], a, 16 * s + l);
    }
  }
}

}  // namespace eie::engine
