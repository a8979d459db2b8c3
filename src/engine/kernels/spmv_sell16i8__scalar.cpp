// The portable kernel over the sell16 layout in 8-bit arithmetic (kernel.h, spmv_sell16i8__avx2): plain C++ with
// no instruction-set flags, so that precision int8 runs (and is tested) on every CPU with EngineOptions::kernel
// scalar, ARM64 included, and the specification the AVX2 kernel is read against. The input is quantized as
// quantized_input.h says and as the vector kernels do (the same divide-or-multiply rule, rounding to nearest even,
// saturation to 0..255), and every product and sum is exact in int32, so its outputs equal the AVX2 kernel's bit
// for bit. An input holding NaN or Inf runs on spmv_sell16__scalar (fp32), which propagates them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantized_input.h"

namespace eie::engine {
namespace {

// x (cols floats) into q (cols bytes).
QuantizedInput quantize(const float* x, std::int64_t cols, std::uint8_t* q) {
  std::uint32_t largest_magnitude = 0;
  bool negative = false;
  for (std::int64_t c = 0; c < cols; ++c) {
    std::uint32_t bits;
    std::memcpy(&bits, x + c, sizeof bits);
    largest_magnitude = std::max(largest_magnitude, bits & 0x7fffffffu);
    negative = negative || bits > 0x80000000u;
  }
  const QuantizedInput result = input_quantization(largest_magnitude, negative);
  if (!result.finite) return result;
  const bool divide = result.scale < kDivideBelowScale;
  const float inverse = 1.0f / result.scale;
  for (std::int64_t c = 0; c < cols; ++c) {
    const float t = divide ? x[c] / result.scale : x[c] * inverse;
    const long value = std::lrint(t) + result.offset;  // the default rounding: nearest even, as vcvtps2dq
    q[c] = static_cast<std::uint8_t>(std::clamp(value, 0L, 255L));
  }
  return result;
}

}  // namespace

void spmv_sell16i8__scalar(const SellArgs& a) {
  const std::int64_t slices = (a.rows + 15) / 16;
  for (std::int64_t b = 0; b < a.batch; ++b) {
    const float* x = a.x + b * a.x_stride;
    float* y = a.y + b * a.y_stride;
    const QuantizedInput input = quantize(x, a.cols, a.x_u8);
    if (!input.finite) {
      spmv_sell16__scalar(one_input_of(a, x, y));
      continue;
    }
    const float scale = a.weight_scale * input.scale;
    for (std::int64_t s = 0; s < slices; ++s) {
      std::int32_t acc[16] = {};
      for (std::uint32_t k = a.layer_ptr[2 * s]; k < a.layer_ptr[2 * s + 2]; ++k) {
        const std::int64_t window = a.windows[k];  // window_shift 0: inputs of at most 65,536 columns
        const std::uint8_t* slots = a.slots + 16 * std::size_t{k};
        for (int l = 0; l < 16; ++l) {
          const unsigned code = slots[l] & 15u;
          const bool held = a.masks != nullptr ? ((a.masks[k] >> l) & 1u) != 0 : code != 0;
          if (held) acc[l] += std::int32_t{a.int8_table[code]} * a.x_u8[window + (slots[l] >> 4)];
        }
      }
      const std::int64_t lanes = std::min<std::int64_t>(16, a.rows - 16 * s);
      for (std::int64_t l = 0; l < lanes; ++l) {
        const std::int64_t row = 16 * s + l;
        const std::int32_t sum = acc[l] - input.offset * a.row_weight_sums[row];
        y[row] = finish(static_cast<float>(sum) * scale, a, row);
      }
    }
  }
}

}  // namespace eie::engine
