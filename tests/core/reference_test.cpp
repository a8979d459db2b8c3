#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/test_util.h"
#include "eie/core.h"

namespace eie {
namespace {

TEST(Reference, small_example_by_hand) {
  const Codebook cb({0.0f, -1.0f, 0.5f, 2.0f}, 2, true);
  const std::vector<float> dense = {0, 2, -1, 0, 0.5f, 2};  // 3 x 2
  const CompressedLayer layer = CompressedLayer::from_dense(3, 2, dense, cb, std::vector<float>{1, 2, 3});
  const std::vector<float> x = {4, -2};
  const std::vector<double> expected = {1 + 2 * -2.0, 2 - 4.0, 3 + 0.5 * 4 + 2 * -2.0};
  EXPECT_EQ(reference_spmv(layer, x), expected);
  EXPECT_EQ(reference_spmv(encode_eie(layer, 2), x), expected);
  EXPECT_EQ(dense_reference(3, 2, dense, x, std::vector<float>{1, 2, 3}), expected);
}

TEST(Reference, all_zero_activations_give_the_bias) {
  const CompressedLayer layer = test::LayerTester().rows(50).cols(40).density(0.3).bias(true).build(test::seed());
  const std::vector<float> x(40, 0.0f);
  const std::vector<double> y = reference_spmv(encode_eie(layer, 7), x);
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], static_cast<double>(layer.bias[i]));
}

TEST(Reference, matches_dense_product_over_random_layers) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  for (int num_pes : {1, 2, 3, 4, 7, 64, 256}) {
    for (double density : {0.0, 0.001, 0.04, 0.25, 1.0}) {
      const std::int64_t rows = 1 + static_cast<std::int64_t>(rng.below(700));
      const std::int64_t cols = 1 + static_cast<std::int64_t>(rng.below(700));
      const test::LayerTester tester = test::LayerTester().rows(rows).cols(cols).density(density).bias(true);
      SCOPED_TRACE(tester.describe() + " pes " + std::to_string(num_pes));
      const CompressedLayer layer = tester.build(rng.next());
      for (double act_density : {0.0, 0.35, 1.0}) {
        const std::vector<float> x = synthetic_activations(cols, act_density, rng.next());
        const std::vector<double> expected = dense_reference(rows, cols, layer.to_dense(), x, layer.bias);
        EXPECT_LT(test::max_relative_error(reference_spmv(encode_eie(layer, num_pes), x), expected), 1e-6);
        EXPECT_LT(test::max_relative_error(reference_spmv(layer, x), expected), 1e-6);
      }
    }
  }
}

TEST(Reference, non_finite_inputs_propagate) {
  const CompressedLayer layer = CompressedLayer::from_codes(2, 2, std::vector<std::uint8_t>{1, 0, 0, 1},
                                                            Codebook({0.0f, 1.0f}, 1, true));
  const std::vector<double> y = reference_spmv(encode_eie(layer, 1),
                                               std::vector<float>{std::numeric_limits<float>::infinity(), 1.0f});
  EXPECT_TRUE(std::isinf(y[0]));
  EXPECT_EQ(y[1], 1.0);
}

TEST(Reference, wrong_input_length) {
  const CompressedLayer layer = test::LayerTester().rows(4).cols(6).build(1);
  test::expect_error([&] { reference_spmv(encode_eie(layer, 2), std::vector<float>(5)); },
                     {"takes 6 inputs", "got 5"});
}

}  // namespace
}  // namespace eie
