// oneDNN's fp32 and int8 matmuls compute the same y = W x + bias as core's reference: fp32 within the fp32
// summation bound, int8 within the int8 precision's bound with one input step for the whole batch.
#ifdef EIE_HAVE_ONEDNN

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/reference_check.h"
#include "common/test_util.h"
#include "eie/onednn_baseline.h"

namespace eie::test {
namespace {

// The int8 bound of reference_check.h with the batch's step sx (the baseline quantizes per tensor).
void expect_int8_within_bound(const CompressedLayer& layer, const std::vector<float>& x, const std::vector<float>& y,
                              std::int64_t batch) {
  double low = 0, high = 0, largest_weight = 0;
  for (float v : x) {
    low = std::min(low, static_cast<double>(v));
    high = std::max(high, static_cast<double>(v));
  }
  for (float w : layer.codebook.values()) largest_weight = std::max(largest_weight, std::fabs(static_cast<double>(w)));
  const double sx = low < 0 ? std::max(high, -low) / 127 : high / 255;
  const double sw = largest_weight / onednn_int8_weight_levels();
  const std::vector<std::int64_t> n = row_entries(layer);
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::span<const float> xb(x.data() + b * layer.cols, static_cast<std::size_t>(layer.cols));
    const std::vector<double> ref = reference_spmv(layer, xb);
    const std::vector<double> mag = magnitude(layer, xb);
    std::vector<double> q(static_cast<std::size_t>(layer.rows), 0.0);
    for (std::int64_t j = 0; j < layer.cols; ++j) {
      for (auto k = layer.col_ptr[static_cast<std::size_t>(j)]; k < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++k) {
        const double w = std::fabs(static_cast<double>(layer.codebook[layer.codes[k]]));
        q[layer.row_idx[k]] += w * sx / 2 + std::fabs(static_cast<double>(xb[static_cast<std::size_t>(j)])) * sw / 2 +
                               sw * sx / 4;
      }
    }
    for (std::int64_t r = 0; r < layer.rows; ++r) {
      const auto i = static_cast<std::size_t>(r);
      const double summation = static_cast<double>(n[i] + 2) * std::ldexp(1.0, -24);
      const double bound = q[i] + summation * (mag[i] + q[i]) + 1e-30;
      ASSERT_LE(std::fabs(y[static_cast<std::size_t>(b * layer.rows + r)] - ref[i]), bound)
          << "batch element " << b << " row " << r;
    }
  }
}

TEST(OnednnBaseline, fp32_and_int8_match_reference) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int trial = 0; trial < 8; ++trial) {
    const CompressedLayer layer = LayerTester().rows(1 + rng.below(90)).cols(1 + rng.below(90)).density(rng.uniform())
                                      .bits(trial % 3 == 0 ? 6 : 4).bias(trial % 2 == 0).build(rng.next());
    for (std::int64_t batch : {1, 5, 64}) {
      const int threads = 1 + static_cast<int>(rng.below(2));
      SCOPED_TRACE(::testing::Message() << "trial " << trial << ", batch " << batch << ", threads " << threads);
      std::vector<float> x;
      for (std::int64_t b = 0; b < batch; ++b) {
        std::vector<float> xb = synthetic_activations(layer.cols, 0.6, rng.next());
        // Every other trial has negative inputs: the s8 path.
        if (trial % 2 == 1) for (float& v : xb) v -= 0.5f;
        x.insert(x.end(), xb.begin(), xb.end());
      }
      std::vector<float> y(static_cast<std::size_t>(layer.rows * batch));
      const OnednnBaseline fp32(layer, OnednnPrecision::fp32, batch, threads);
      fp32.run_batch(x, y);
      expect_matches_reference(layer, x, y, batch, false);
      std::fill(y.begin(), y.end(), 0.0f);
      const OnednnBaseline int8(layer, OnednnPrecision::int8, batch, threads);
      int8.run_batch(x, y);
      expect_int8_within_bound(layer, x, y, batch);
    }
  }
}

TEST(OnednnBaseline, zero_inputs_give_the_bias) {
  const CompressedLayer layer = LayerTester().rows(12).cols(30).density(0.5).bias(true).build(3);
  const std::vector<float> x(30, 0.0f);
  std::vector<float> y(12);
  OnednnBaseline(layer, OnednnPrecision::int8, 1, 1).run_batch(x, y);
  for (std::size_t r = 0; r < y.size(); ++r) EXPECT_EQ(y[r], layer.bias[r]);
}

TEST(OnednnBaseline, names_sizes_and_bad_arguments) {
  EXPECT_STREQ(onednn_impl_name(OnednnPrecision::fp32), "onednn-fp32");
  EXPECT_STREQ(onednn_impl_name(OnednnPrecision::int8), "onednn-int8");
  const CompressedLayer layer = LayerTester().rows(10).cols(20).density(0.5).build(1);
  EXPECT_GE(OnednnBaseline(layer, OnednnPrecision::fp32, 1, 1).bytes(), 10 * 20 * 4);
  EXPECT_GE(OnednnBaseline(layer, OnednnPrecision::int8, 1, 1).bytes(), 10 * 20);
  std::vector<float> x(19), y(10);
  expect_error([&] { OnednnBaseline(layer, OnednnPrecision::fp32, 1, 1).run_batch(x, y); },
               {"onednn-fp32", "input x has 19 floats", "expected 20"});
  x.resize(20);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  expect_error([&] { OnednnBaseline(layer, OnednnPrecision::int8, 1, 1).run_batch(x, y); },
               {"onednn-int8", "NaN or Inf"});
  expect_error([&] { OnednnBaseline(layer, OnednnPrecision::int8, 0, 1); }, {"batch = 0"});
  expect_error([] { set_onednn_threads(0); }, {"threads = 0"});
}

}  // namespace
}  // namespace eie::test

#endif  // EIE_HAVE_ONEDNN
