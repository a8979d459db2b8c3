#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/test_util.h"
#include "eie/compress.h"

namespace eie {
namespace {

// The paper's slide (Deep Compression, weight sharing): 4 x 4 weights, 4 clusters.
const std::vector<float> kSlide = {2.09f, -0.98f, 1.48f, 0.09f, 0.05f, -0.14f, -1.08f, 2.12f,
                                   -0.91f, 1.92f, 0.0f,  -1.03f, 1.87f, 0.0f,  1.53f, 1.49f};

// Brute-force Lloyd with the same conventions: nearest centroid (exact, ties lower), float means accumulated in
// double over the values in input order, empty clusters keep their centroid.
std::vector<float> brute_force_lloyd(const std::vector<float>& v, std::vector<float> c, int max_iterations) {
  std::vector<std::uint8_t> previous;
  for (int it = 0; it < max_iterations; ++it) {
    const std::vector<std::uint8_t> a = assign_clusters(v, c, 1);
    if (a == previous) break;
    std::vector<double> sum(c.size(), 0.0);
    std::vector<std::size_t> count(c.size(), 0);
    for (std::size_t i = 0; i < v.size(); ++i) {
      sum[a[i]] += v[i];
      ++count[a[i]];
    }
    for (std::size_t k = 0; k < c.size(); ++k) {
      if (count[k]) c[k] = static_cast<float>(sum[k] / static_cast<double>(count[k]));
    }
    previous = a;
  }
  return c;
}

TEST(Kmeans, paper_slide_linear_init) {
  const KmeansResult r = kmeans_1d(kSlide, {.clusters = 4, .init = KmeansInit::linear});
  ASSERT_EQ(r.centroids.size(), 4u);
  const std::vector<float> expected = {-1.00f, 0.00f, 1.50f, 2.00f};
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(r.centroids[i], expected[i], 1e-6) << "centroid " << i;
  EXPECT_TRUE(r.converged);
  // The slide's cluster index matrix (its codebook lists the same centroids from 3 down to 0).
  const std::vector<std::uint8_t> slide = {3, 0, 2, 1, 1, 1, 0, 3, 0, 3, 1, 0, 3, 1, 2, 2};
  EXPECT_EQ(assign_clusters(kSlide, r.centroids), slide);
}

TEST(Kmeans, paper_slide_sharing_ratio_is_3_2) {
  EXPECT_NEAR(sharing_ratio(16, 4), 16.0 * 32 / (16 * 2 + 4 * 32), 1e-12);
  EXPECT_NEAR(sharing_ratio(16, 4), 3.2, 1e-12);
}

TEST(Kmeans, matches_brute_force_lloyd_on_random_values) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  for (int trial = 0; trial < 30; ++trial) {
    const auto n = static_cast<std::size_t>(1 + rng.below(3000));
    const int k = static_cast<int>(1 + rng.below(trial % 3 == 0 ? 256 : 16));
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(trial % 2 ? rng.normal() : rng.uniform() * 4 - 1);
    if (trial % 5 == 0) {
      for (auto& x : v) x = std::round(x * 4) / 4;  // many duplicates
    }
    const KmeansResult r = kmeans_1d(v, {.clusters = k, .init = KmeansInit::linear, .max_iterations = 1000});
    const std::vector<float> lo_hi = {*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
    std::vector<float> init(static_cast<std::size_t>(k));
    for (int i = 0; i < k; ++i) {
      init[static_cast<std::size_t>(i)] = static_cast<float>(
          k == 1 ? lo_hi[0] + (static_cast<double>(lo_hi[1]) - lo_hi[0]) / 2
                 : lo_hi[0] + (static_cast<double>(lo_hi[1]) - lo_hi[0]) * i / (k - 1));
    }
    const std::vector<float> expected = brute_force_lloyd(v, init, 1000);
    ASSERT_EQ(r.centroids.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_NEAR(r.centroids[i], expected[i], 1e-5 * std::max(1.0f, std::fabs(expected[i])))
          << "trial " << trial << " n " << n << " k " << k << " centroid " << i;
    }
  }
}

TEST(Kmeans, result_is_a_lloyd_fixed_point) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed() + 7);
  std::vector<float> v(20000);
  for (auto& x : v) x = static_cast<float>(rng.normal() * 0.05);
  for (KmeansInit init : {KmeansInit::linear, KmeansInit::density, KmeansInit::random}) {
    const KmeansResult r = kmeans_1d(v, {.clusters = 32, .init = init, .seed = 3, .max_iterations = 10000});
    ASSERT_TRUE(r.converged);
    EXPECT_TRUE(std::is_sorted(r.centroids.begin(), r.centroids.end()));
    // Every non-empty cluster's centroid is its mean; the reported WCSS is the assignment's.
    const std::vector<std::uint8_t> a = assign_clusters(v, r.centroids);
    std::vector<double> sum(32, 0.0);
    std::vector<int> count(32, 0);
    for (std::size_t i = 0; i < v.size(); ++i) {
      sum[a[i]] += v[i];
      ++count[a[i]];
    }
    double wcss = 0.0;
    for (std::size_t i = 0; i < v.size(); ++i) wcss += std::pow(static_cast<double>(v[i]) - r.centroids[a[i]], 2);
    EXPECT_NEAR(r.wcss, wcss, 1e-9 * std::max(1.0, wcss));
    for (std::size_t c = 0; c < 32; ++c) {
      if (count[c]) {
        EXPECT_NEAR(r.centroids[c], sum[c] / count[c], 1e-6) << "cluster " << c;
      }
    }
  }
}

TEST(Kmeans, random_init_is_deterministic_per_seed_and_threads) {
  Rng rng(5);
  std::vector<float> v(5000);
  for (auto& x : v) x = static_cast<float>(rng.normal());
  const KmeansSettings random{.clusters = 8, .init = KmeansInit::random, .seed = 42};
  EXPECT_EQ(kmeans_1d(v, random).centroids, kmeans_1d(v, random).centroids);
  KmeansSettings one_thread = random;
  one_thread.threads = 1;
  EXPECT_EQ(kmeans_1d(v, random).centroids, kmeans_1d(v, one_thread).centroids);
  KmeansSettings other = random;
  other.seed = 43;
  other.max_iterations = 1;
  KmeansSettings first = random;
  first.max_iterations = 1;
  EXPECT_NE(kmeans_1d(v, first).centroids, kmeans_1d(v, other).centroids);
}

TEST(Kmeans, density_init_puts_centroids_at_quantiles) {
  std::vector<float> v(1000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  const KmeansResult r = kmeans_1d(v, {.clusters = 4, .init = KmeansInit::density, .max_iterations = 1});
  // Quantiles 125, 375, 625, 875 are already the means of their quarters (up to the midpoint rounding).
  EXPECT_NEAR(r.centroids[0], 124.5, 1.0);
  EXPECT_NEAR(r.centroids[3], 874.5, 1.0);
}

TEST(Kmeans, fewer_values_than_clusters) {
  const std::vector<float> v = {3.0f, -1.0f};
  for (KmeansInit init : {KmeansInit::linear, KmeansInit::density, KmeansInit::random}) {
    const KmeansResult r = kmeans_1d(v, {.clusters = 8, .init = init});
    ASSERT_EQ(r.centroids.size(), 8u);
    EXPECT_EQ(r.centroids.front(), -1.0f);
    EXPECT_EQ(r.centroids.back(), 3.0f);
    EXPECT_EQ(r.wcss, 0.0);
    EXPECT_TRUE(std::is_sorted(r.centroids.begin(), r.centroids.end()));
  }
}

TEST(Kmeans, all_values_equal) {
  const std::vector<float> v(100, 0.25f);
  const KmeansResult r = kmeans_1d(v, {.clusters = 16});
  for (float c : r.centroids) EXPECT_EQ(c, 0.25f);
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.wcss, 0.0);
}

TEST(Kmeans, empty_input) {
  const KmeansResult r = kmeans_1d(std::vector<float>{}, {.clusters = 4});
  EXPECT_TRUE(r.centroids.empty());
}

TEST(Kmeans, max_iterations_stops_early) {
  Rng rng(9);
  std::vector<float> v(10000);
  for (auto& x : v) x = static_cast<float>(rng.normal());
  const KmeansResult r = kmeans_1d(v, {.clusters = 64, .max_iterations = 2});
  EXPECT_EQ(r.iterations, 2);
  EXPECT_FALSE(r.converged);
}

TEST(Kmeans, bad_settings_and_values) {
  test::expect_error([] { kmeans_1d(kSlide, {.clusters = 0}); }, {"clusters", "1..256", "0"});
  test::expect_error([] { kmeans_1d(kSlide, {.clusters = 257}); }, {"clusters", "257"});
  test::expect_error([] { kmeans_1d(kSlide, {.clusters = 4, .max_iterations = 0}); }, {"max_iterations"});
  std::vector<float> bad = kSlide;
  bad[5] = std::nanf("");
  test::expect_error([&] { kmeans_1d(bad, {.clusters = 4}); }, {"weight 5", "NaN"});
}

TEST(Kmeans, assign_ties_go_to_the_lower_centroid) {
  const std::vector<float> c = {0.0f, 1.0f, 2.0f};
  EXPECT_EQ(assign_clusters(std::vector<float>{0.5f, 1.5f, 0.50001f, -5.0f, 9.0f}, c),
            (std::vector<std::uint8_t>{0, 1, 1, 0, 2}));
}

}  // namespace
}  // namespace eie
