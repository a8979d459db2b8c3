#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "common/test_util.h"
#include "eie/compress.h"

namespace eie {
namespace {

std::vector<float> gaussian(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> w(n);
  for (auto& x : w) x = static_cast<float>(rng.normal());
  return w;
}

TEST(Prune, quality_threshold_is_quality_times_std) {
  SCOPED_TRACE(test::seed_trace());
  const std::vector<float> w = gaussian(10000, test::seed());
  const double mean = std::accumulate(w.begin(), w.end(), 0.0) / static_cast<double>(w.size());
  double var = 0.0;
  for (float x : w) var += (x - mean) * (x - mean);
  const double std_dev = std::sqrt(var / static_cast<double>(w.size()));
  for (double q : {0.0, 0.5, 1.0, 2.5}) {
    const PruneResult r = prune(w, {.mode = PruneMode::quality, .quality = q}, "fc");
    EXPECT_NEAR(r.threshold, q * std_dev, 1e-9);
    std::int64_t kept = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const bool expect = std::fabs(w[i]) > r.threshold && w[i] != 0.0f;
      ASSERT_EQ(r.keep[i], expect ? 1 : 0) << "weight " << i << " quality " << q;
      kept += expect;
    }
    EXPECT_EQ(r.kept, kept);
  }
}

TEST(Prune, density_keeps_exactly_the_largest) {
  SCOPED_TRACE(test::seed_trace());
  const std::vector<float> w = gaussian(9999, test::seed() + 1);
  for (double d : {0.0001, 0.04, 0.09, 0.5, 1.0}) {
    const PruneResult r = prune(w, {.mode = PruneMode::density, .density = d}, "fc");
    const auto k = static_cast<std::int64_t>(std::llround(d * 9999));
    EXPECT_EQ(r.kept, k);
    EXPECT_EQ(std::count(r.keep.begin(), r.keep.end(), 1), k);
    float smallest_kept = INFINITY, largest_dropped = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (r.keep[i]) {
        smallest_kept = std::min(smallest_kept, std::fabs(w[i]));
      } else {
        largest_dropped = std::max(largest_dropped, std::fabs(w[i]));
      }
    }
    EXPECT_GE(smallest_kept, largest_dropped) << "density " << d;
  }
}

TEST(Prune, density_ties_keep_the_first_positions) {
  const std::vector<float> w = {0.5f, -0.5f, 0.5f, 0.1f, -0.5f, 0.9f};
  const PruneResult r = prune(w, {.mode = PruneMode::density, .density = 0.5}, "t");  // keep 3
  EXPECT_EQ(r.keep, (std::vector<std::uint8_t>{1, 1, 0, 0, 0, 1}));
  EXPECT_EQ(r.threshold, 0.5);
}

TEST(Prune, zeros_are_never_kept) {
  const std::vector<float> w = {0.0f, 0.0f, 1.0f, 0.0f};
  EXPECT_EQ(prune(w, {.mode = PruneMode::density, .density = 1.0}).kept, 1);
  EXPECT_EQ(prune(w, {.mode = PruneMode::quality, .quality = 0.0}).kept, 1);
  EXPECT_EQ(prune(w, {.mode = PruneMode::none}).kept, 4);
}

TEST(Prune, bad_input_names_the_layer) {
  std::vector<float> w = {1.0f, 2.0f, std::nanf(""), 3.0f};
  test::expect_error([&] { prune(w, {}, "conv2"); }, {"layer 'conv2'", "weight 2", "NaN"});
  w[2] = INFINITY;
  test::expect_error([&] { prune(w, {}, "conv2"); }, {"layer 'conv2'", "weight 2", "infinite"});
  w[2] = 1.0f;
  test::expect_error([&] { prune(w, {.mode = PruneMode::density, .density = 1.5}, "fc6"); },
                     {"layer 'fc6'", "density", "(0, 1]"});
  test::expect_error([&] { prune(w, {.mode = PruneMode::density, .density = 0.0}, "fc6"); }, {"fc6", "density"});
  test::expect_error([&] { prune(w, {.mode = PruneMode::quality, .quality = -0.1}, "fc6"); }, {"fc6", "quality"});
}

}  // namespace
}  // namespace eie
