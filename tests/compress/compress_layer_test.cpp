#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/test_util.h"
#include "eie/compress.h"

namespace eie {
namespace {

const std::vector<float> kSlide = {2.09f, -0.98f, 1.48f, 0.09f, 0.05f, -0.14f, -1.08f, 2.12f,
                                   -0.91f, 1.92f, 0.0f,  -1.03f, 1.87f, 0.0f,  1.53f, 1.49f};

std::vector<float> gaussian(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> w(n);
  for (auto& x : w) x = static_cast<float>(rng.normal() * 0.05);
  return w;
}

TEST(CompressLayer, paper_slide_sharing_only) {
  LayerStats stats;
  const CompressedLayer layer =
      compress_layer("slide", 4, 4, kSlide, {}, {.prune = {}, .bits = 2, .reserve_zero = false}, &stats);
  EXPECT_EQ(layer.nnz(), 16);
  EXPECT_FALSE(layer.codebook.zero_reserved());
  ASSERT_EQ(layer.codebook.size(), 4u);
  const std::vector<float> centroids = {-1.0f, 0.0f, 1.5f, 2.0f};
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(layer.codebook[i], centroids[i], 1e-6);
  const std::vector<int> slide = {3, 0, 2, 1, 1, 1, 0, 3, 0, 3, 1, 0, 3, 1, 2, 2};
  const std::vector<float> dense = layer.to_dense();
  for (std::size_t i = 0; i < 16; ++i) EXPECT_NEAR(dense[i], centroids[static_cast<std::size_t>(slide[i])], 1e-6);
  EXPECT_EQ(layer.provenance.method, "quantize");
  EXPECT_EQ(layer.provenance.bits, 2);
  EXPECT_TRUE(stats.converged);
}

TEST(CompressLayer, pruned_layer_reserves_zero) {
  SCOPED_TRACE(test::seed_trace());
  const std::int64_t rows = 64, cols = 50;
  const std::vector<float> w = gaussian(static_cast<std::size_t>(rows * cols), test::seed());
  std::vector<float> bias(static_cast<std::size_t>(rows), 0.25f);
  for (int bits : {1, 2, 4, 8}) {
    const CompressedLayer layer = compress_layer(
        "fc1", rows, cols, w, bias, {.prune = {.mode = PruneMode::density, .density = 0.1}, .bits = bits});
    EXPECT_NO_THROW(layer.validate());
    EXPECT_EQ(layer.name, "fc1");
    EXPECT_EQ(layer.nnz(), 320);
    EXPECT_TRUE(layer.codebook.zero_reserved());
    EXPECT_EQ(layer.codebook.size(), std::size_t{1} << bits);
    EXPECT_EQ(layer.codebook[0], 0.0f);
    EXPECT_EQ(layer.bias, bias);
    EXPECT_EQ(layer.provenance.method, "prune+quantize");
    EXPECT_NEAR(layer.provenance.density, 0.1, 1e-12);
    // Each stored weight has the nearest non-zero centroid, and each used centroid is its cluster's mean.
    const PruneResult kept = prune(w, {.mode = PruneMode::density, .density = 0.1});
    const std::vector<float> dense = layer.to_dense();
    std::vector<double> sum(layer.codebook.size(), 0.0);
    std::vector<int> count(layer.codebook.size(), 0);
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (!kept.keep[i]) {
        ASSERT_EQ(dense[i], 0.0f) << "pruned weight " << i;
        continue;
      }
      const std::uint8_t code = layer.codebook.nearest(w[i]);
      EXPECT_NEAR(dense[i], layer.codebook[code], 1e-7) << "weight " << i << " bits " << bits;
      sum[code] += w[i];
      ++count[code];
    }
    for (std::size_t c = 1; c < layer.codebook.size(); ++c) {
      if (count[c]) {
        EXPECT_NEAR(layer.codebook[c], sum[c] / count[c], 1e-6) << "centroid " << c;
      }
    }
  }
}

TEST(CompressLayer, quality_pruning_and_exact_zeros) {
  std::vector<float> w = gaussian(1000, 3);
  w[10] = 0.0f;
  const CompressedLayer layer =
      compress_layer("conv1", 10, 100, w, {}, {.prune = {.mode = PruneMode::quality, .quality = 1.0}, .bits = 4});
  const PruneResult r = prune(w, {.mode = PruneMode::quality, .quality = 1.0});
  EXPECT_EQ(layer.nnz(), r.kept);
  // Without pruning and with a reserved zero, exact zeros are not stored.
  EXPECT_EQ(compress_layer("conv1", 10, 100, w, {}, {.prune = {}, .bits = 4}).nnz(), 999);
}

TEST(CompressLayer, everything_pruned) {
  const std::vector<float> w = gaussian(100, 4);
  const CompressedLayer layer =
      compress_layer("fc", 10, 10, w, {}, {.prune = {.mode = PruneMode::quality, .quality = 100.0}, .bits = 4});
  EXPECT_EQ(layer.nnz(), 0);
  EXPECT_EQ(layer.codebook.size(), 1u);
  EXPECT_EQ(layer.to_dense(), std::vector<float>(100, 0.0f));
}

TEST(CompressLayer, deterministic_for_a_seed) {
  const std::vector<float> w = gaussian(5000, 5);
  const LayerSettings s{.prune = {.mode = PruneMode::density, .density = 0.3}, .bits = 5,
                        .init = KmeansInit::random, .seed = 77};
  EXPECT_EQ(compress_layer("a", 50, 100, w, {}, s), compress_layer("a", 50, 100, w, {}, s));
  LayerSettings one_thread = s;
  one_thread.threads = 1;
  EXPECT_EQ(compress_layer("a", 50, 100, w, {}, s), compress_layer("a", 50, 100, w, {}, one_thread));
}

TEST(CompressLayer, single_row_and_single_column) {
  const std::vector<float> w = gaussian(37, 6);
  for (auto [rows, cols] : {std::pair<std::int64_t, std::int64_t>{1, 37}, {37, 1}}) {
    const CompressedLayer layer =
        compress_layer("x", rows, cols, w, {}, {.prune = {.mode = PruneMode::density, .density = 0.5}, .bits = 3});
    EXPECT_EQ(layer.nnz(), 19);
    EXPECT_NO_THROW(layer.validate());
  }
}

TEST(CompressLayer, bad_input_names_the_layer) {
  std::vector<float> w = gaussian(20, 7);
  w[13] = std::nanf("");
  test::expect_error([&] { compress_layer("fc6", 4, 5, w, {}, {}); }, {"layer 'fc6'", "weight 13", "NaN"});
  w[13] = -INFINITY;
  test::expect_error([&] { compress_layer("fc6", 4, 5, w, {}, {}); }, {"layer 'fc6'", "infinite"});
  w[13] = 0.5f;
  test::expect_error([&] { compress_layer("fc6", 4, 6, w, {}, {}); }, {"layer 'fc6'", "4 x 6", "20 weights"});
  test::expect_error([&] { compress_layer("fc6", 4, 5, w, std::vector<float>(3), {}); }, {"fc6", "bias has 3"});
  std::vector<float> bias(4, 0.0f);
  bias[1] = std::nanf("");
  test::expect_error([&] { compress_layer("fc6", 4, 5, w, bias, {}); }, {"fc6", "bias 1", "NaN"});
  test::expect_error([&] { compress_layer("fc6", 4, 5, w, {}, {.prune = {}, .bits = 0}); }, {"fc6", "bits", "1..8", "0"});
  test::expect_error([&] { compress_layer("fc6", 4, 5, w, {}, {.prune = {}, .bits = 9}); }, {"fc6", "bits", "9"});
  test::expect_error(
      [&] { compress_layer("fc6", 4, 5, w, {}, {.prune = {.mode = PruneMode::density, .density = 2.0}}); },
      {"fc6", "density"});
}

}  // namespace
}  // namespace eie
