// A check both int8 kernels (sell16x4 on AVX-512, sell16 in 8-bit arithmetic on AVX2) are held to: the input's
// scale. One large value among small ones, all equal values, the smallest normal and subnormal magnitudes (whose
// reciprocal would overflow), and large ones (whose int32 sums, scaled back, stay finite), with and without
// negative values, all within the int8 bound of the reference.
#pragma once

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "engine/engine_tester.h"

namespace eie::test {

// `layer` has 70 columns.
inline void expect_int8_follows_the_input_scale(const CompressedLayer& layer, KernelIsa isa) {
  const auto check = [&](std::vector<float> x) {
    Engine engine({layer}, EngineOptions{.threads = 2, .kernel = isa, .precision = Precision::int8});
    std::vector<float> y(static_cast<std::size_t>(layer.rows));
    engine.run(x, y);
    expect_matches_reference(layer, x, y, 1, false, 0.0, true);
  };
  for (float top : {1.0f, 1e-30f, std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min() * 64,
                    1e30f, std::numeric_limits<float>::max() / 1e4f}) {
    SCOPED_TRACE(std::to_string(top));
    std::vector<float> x(70, 0.0f);
    for (std::size_t j = 0; j < x.size(); j += 3) x[j] = top * static_cast<float>(j % 7) / 7.0f;
    x[5] = top;
    check(x);
    x[1] = -0.0f;  // not negative: the input keeps the unsigned range
    check(x);
    x[6] = -top;
    check(x);
    check(std::vector<float>(70, top));
  }
}

}  // namespace eie::test
