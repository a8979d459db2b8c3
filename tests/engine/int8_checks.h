// Checks both int8 kernels (sell16x4 on AVX-512, sell16 in 8-bit arithmetic on AVX2) are held to.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "engine/engine_tester.h"

namespace eie::test {

// The input's scale: one large value among small ones, all equal values, the smallest normal and subnormal
// magnitudes (whose reciprocal would overflow), and large ones (whose int32 sums, scaled back, stay finite), with
// and without negative values, all within the int8 bound of the reference. `layer` has 70 columns.
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

// NaN and Inf reach exactly the rows the reference sends them to (that input runs in fp32), and the other inputs
// of its batch stay int8, within the int8 bound. `engine` runs `layer` (53 columns) at batches up to 9.
inline void expect_int8_non_finite_inputs_propagate(Engine& engine, const CompressedLayer& layer) {
  const std::int64_t rows = layer.rows, cols = layer.cols;
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (std::int64_t batch : {1, 3, 9}) {
    for (std::int64_t col : {0, 16, 52}) {
      for (float bad : {nan, inf, -inf}) {
        SCOPED_TRACE("batch " + std::to_string(batch) + ", x[" + std::to_string(col) + "] = " + std::to_string(bad));
        std::vector<float> x(static_cast<std::size_t>(cols * batch), 0.5f);
        for (std::size_t i = 0; i < x.size(); i += 5) x[i] = -0.25f;
        const std::int64_t bad_element = batch / 2;
        x[static_cast<std::size_t>(bad_element * cols + col)] = bad;
        std::vector<float> y(static_cast<std::size_t>(rows * batch));
        engine.run_batch(x, y, batch);
        const std::vector<double> ref =
            reference_spmv(layer, std::span(x).subspan(static_cast<std::size_t>(bad_element * cols), cols));
        for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
          const float got = y[static_cast<std::size_t>(bad_element * rows) + r];
          EXPECT_EQ(std::isnan(got), std::isnan(ref[r])) << "row " << r;
          if (std::isinf(ref[r])) {
            EXPECT_EQ(got, ref[r]) << "row " << r;
          } else if (!std::isnan(ref[r])) {
            EXPECT_NEAR(got, ref[r], 1e-5 * (1 + std::fabs(ref[r]))) << "row " << r;  // fp32 there
          }
        }
        for (std::int64_t b = 0; b < batch; ++b) {
          if (b == bad_element) continue;
          const auto xb = std::span<const float>(x).subspan(static_cast<std::size_t>(b * cols), cols);
          const auto yb = std::span<const float>(y).subspan(static_cast<std::size_t>(b * rows), rows);
          expect_matches_reference(layer, xb, yb, 1, false, 0.0, true);
        }
      }
    }
  }
}

}  // namespace eie::test
