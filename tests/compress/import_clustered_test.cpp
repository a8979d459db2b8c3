#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <set>
#include <vector>

#include "common/test_util.h"
#include "eie/compress.h"

namespace eie {
namespace {

// A rows x cols weight whose non-zero values are drawn from `values` distinct random values, about `density`
// of it non-zero.
std::vector<float> clustered(std::int64_t rows, std::int64_t cols, int values, double density, Rng& rng) {
  std::vector<float> pool;
  for (int i = 0; i < values; ++i) pool.push_back(static_cast<float>(rng.normal() * 0.1));
  std::vector<float> w(static_cast<std::size_t>(rows * cols), 0.0f);
  for (std::size_t i = 0; i < w.size(); ++i) {
    // Every pool value used at least twice (the first ones), the rest at random.
    if (i < 2 * pool.size()) w[i] = pool[i % pool.size()];
    else if (rng.uniform() < density) w[i] = pool[static_cast<std::size_t>(rng.below(pool.size()))];
  }
  return w;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(ImportClustered, random_clustered_layers_round_trip_bit_for_bit) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  for (int trial = 0; trial < 200; ++trial) {
    const std::int64_t rows = 16 + static_cast<std::int64_t>(rng.uniform() * 40);
    const std::int64_t cols = 32 + static_cast<std::int64_t>(rng.uniform() * 40);
    const int bits = 1 + trial % 8;
    const int values = 1 + static_cast<int>(rng.uniform() * ((1 << bits) - 1));
    const double density = rng.uniform();
    const std::vector<float> w = clustered(rows, cols, values, density, rng);
    SCOPED_TRACE(::testing::Message() << rows << " x " << cols << ", " << values << " values, bits " << bits);
    const auto layer = import_clustered("fc", rows, cols, w, bits, /*smallest_bits=*/false);
    ASSERT_TRUE(layer.has_value());
    EXPECT_TRUE(bit_equal(layer->to_dense(), w));
    EXPECT_EQ(layer->codebook.bits(), bits);
    EXPECT_EQ(layer->provenance.method, "imported");
    std::int64_t nonzero = 0;
    for (float v : w) nonzero += v != 0.0f;
    EXPECT_EQ(layer->nnz(), nonzero);
    // The fewest bits that hold the values (and the zero, when there is one).
    const auto smallest = import_clustered("fc", rows, cols, w, 8, /*smallest_bits=*/true);
    ASSERT_TRUE(smallest.has_value());
    EXPECT_TRUE(bit_equal(smallest->to_dense(), w));
    const std::size_t needed = smallest->codebook.size();
    EXPECT_EQ(smallest->codebook.bits(), std::max(1, static_cast<int>(std::bit_width(needed - 1))));
  }
}

TEST(ImportClustered, values_past_the_codebook_are_not_imported) {
  Rng rng(3);
  // 16 non-zero values and zeros need 17 entries: more than 4 bits hold.
  const std::vector<float> w = clustered(20, 30, 16, 0.5, rng);
  EXPECT_FALSE(import_clustered("fc", 20, 30, w, 4, false).has_value());
  EXPECT_TRUE(import_clustered("fc", 20, 30, w, 5, false).has_value());
}

TEST(ImportClustered, no_zero_fills_the_whole_codebook) {
  // Four values, no zero: a 2-bit codebook without the reserved zero.
  const std::vector<float> w = {0.5f, -1.0f, 0.25f, 2.0f, 0.5f, 0.5f, -1.0f, 2.0f};
  const auto layer = import_clustered("slide", 2, 4, w, 2, false);
  ASSERT_TRUE(layer.has_value());
  EXPECT_FALSE(layer->codebook.zero_reserved());
  EXPECT_EQ(layer->codebook.values(), (std::vector<float>{-1.0f, 0.25f, 0.5f, 2.0f}));
  EXPECT_TRUE(bit_equal(layer->to_dense(), w));
}

TEST(ImportClustered, distinct_values_are_a_layer_nobody_clustered) {
  // 12 weights, 12 distinct values: they fit in 4 bits but nothing is shared, so this is a trained float layer.
  std::vector<float> w;
  for (int i = 0; i < 12; ++i) w.push_back(0.1f * static_cast<float>(i + 1));
  EXPECT_FALSE(import_clustered("small", 3, 4, w, 4, false).has_value());
  const std::vector<float> zeros(12, 0.0f);
  EXPECT_FALSE(import_clustered("zeros", 3, 4, zeros, 4, false).has_value());
}

// A caller that knows the weight was clustered (eie.torch's export) takes distinct values too, exactly.
TEST(ImportClustered, distinct_too_takes_a_layer_with_fewer_weights_than_centroids) {
  std::vector<float> w(12, 0.0f);
  for (int i = 0; i < 5; ++i) w[static_cast<std::size_t>(2 * i)] = 0.1f * static_cast<float>(i + 1);
  EXPECT_FALSE(import_clustered("small", 3, 4, w, 4, false).has_value());
  const auto layer = import_clustered("small", 3, 4, w, 4, false, /*distinct_too=*/true);
  ASSERT_TRUE(layer.has_value());
  EXPECT_TRUE(bit_equal(layer->to_dense(), w));
  EXPECT_EQ(layer->codebook.bits(), 4);
  std::vector<float> too_many(40);
  for (std::size_t i = 0; i < too_many.size(); ++i) too_many[i] = 0.01f * static_cast<float>(i + 1);
  EXPECT_FALSE(import_clustered("wide", 5, 8, too_many, 4, false, true).has_value());  // 40 values, 16 codes
}

TEST(ImportClustered, negative_zero_is_a_pruned_weight) {
  const std::vector<float> w = {-0.0f, 1.5f, 1.5f, 0.0f, -2.0f, 1.5f};
  const auto layer = import_clustered("fc", 2, 3, w, 2, false);
  ASSERT_TRUE(layer.has_value());
  EXPECT_EQ(layer->nnz(), 4);
  EXPECT_EQ(layer->codebook.values(), (std::vector<float>{0.0f, -2.0f, 1.5f}));
}

TEST(ImportClustered, bad_input_names_the_layer) {
  const std::vector<float> w = {1.0f, 1.0f, NAN, 0.0f};
  test::expect_error([&] { import_clustered("fc7", 2, 2, w, 4, false); }, {"layer 'fc7'", "weight 2", "NaN"});
  test::expect_error([&] { import_clustered("fc7", 3, 2, w, 4, false); }, {"layer 'fc7'", "shape 3 x 2"});
  test::expect_error([&] { import_clustered("fc7", 2, 2, w, 9, false); }, {"layer 'fc7'", "bits", "9"});
}

}  // namespace
}  // namespace eie
