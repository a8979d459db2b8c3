#include <gtest/gtest.h>

#include <algorithm>

#include "common/test_util.h"
#include "eie/core.h"

namespace eie {
namespace {

TEST(Synthetic, same_seed_same_layer_and_density_is_close) {
  const SyntheticLayerSpec spec{.name = "s", .rows = 1000, .cols = 800, .density = 0.09, .bits = 4, .bias = true,
                                .seed = 42};
  const CompressedLayer a = synthetic_layer(spec);
  EXPECT_EQ(a, synthetic_layer(spec));
  EXPECT_NO_THROW(a.validate());
  EXPECT_NEAR(a.density(), 0.09, 0.003);
  EXPECT_EQ(a.codebook.size(), 16u);
  SyntheticLayerSpec other = spec;
  other.seed = 43;
  EXPECT_NE(a.row_idx, synthetic_layer(other).row_idx);
}

TEST(Synthetic, activations_have_the_requested_density) {
  const std::vector<float> x = synthetic_activations(100000, 0.353, 7);
  const auto nonzero = std::count_if(x.begin(), x.end(), [](float v) { return v != 0.0f; });
  EXPECT_NEAR(static_cast<double>(nonzero) / 100000.0, 0.353, 0.01);
  EXPECT_TRUE(std::all_of(x.begin(), x.end(), [](float v) { return v >= 0.0f && v <= 1.0f; }));
}

TEST(Synthetic, paper_layers_have_table_three_shapes) {
  ASSERT_EQ(paper_benchmark_layers().size(), 9u);
  const PaperLayer& alex7 = paper_benchmark_layer("alex-7");
  EXPECT_EQ(alex7.rows, 4096);
  EXPECT_EQ(alex7.cols, 4096);
  const PaperLayer& lstm = paper_benchmark_layer("NT-LSTM");
  EXPECT_EQ(lstm.rows, 2400);
  EXPECT_EQ(lstm.cols, 1201);
  test::expect_error([] { paper_benchmark_layer("Alex-9"); }, {"Alex-9", "Alex-6", "NT-LSTM"});
  const CompressedLayer w = paper_layer_weights(paper_benchmark_layer("Alex-8"));
  EXPECT_EQ(w.rows, 1000);
  EXPECT_NEAR(w.density(), 0.25, 0.005);
  EXPECT_EQ(paper_layer_input(alex7).size(), 4096u);
}

}  // namespace
}  // namespace eie
