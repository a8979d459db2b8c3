#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/test_util.h"
#include "eie/core.h"

namespace eie {
namespace {

TEST(Codebook, holds_up_to_two_to_the_bits_values) {
  const Codebook cb({0.0f, -1.0f, 0.5f}, 2, true);
  EXPECT_EQ(cb.bits(), 2);
  EXPECT_EQ(cb.size(), 3u);
  EXPECT_TRUE(cb.zero_reserved());
  EXPECT_EQ(cb.first_code(), 1);
  EXPECT_FLOAT_EQ(cb[1], -1.0f);
}

TEST(Codebook, nearest_skips_the_reserved_zero) {
  const Codebook cb({0.0f, -1.0f, 0.5f, 2.0f}, 2, true);
  EXPECT_EQ(cb.nearest(0.01f), 2);  // 0.5 is nearer than -1; code 0 is not a candidate
  EXPECT_EQ(cb.nearest(-0.3f), 1);  // 0.7 from -1, 0.8 from 0.5
  EXPECT_EQ(cb.nearest(-0.9f), 1);
  EXPECT_EQ(cb.nearest(5.0f), 3);
  const Codebook plain({2.0f, 1.5f, 0.0f, -1.0f}, 2, false);
  EXPECT_EQ(plain.nearest(0.09f), 2);
  EXPECT_EQ(plain.nearest(1.75f), 0);  // tie between 2.0 and 1.5 goes to the lower code
}

TEST(Codebook, bad_arguments) {
  test::expect_error([] { Codebook({1.0f}, 0, false); }, {"bits", "1..8", "0"});
  test::expect_error([] { Codebook({1.0f}, 9, false); }, {"bits", "9"});
  test::expect_error([] { Codebook({0, 1, 2, 3, 4}, 2, false); }, {"2-bit", "5"});
  test::expect_error([] { Codebook({}, 2, false); }, {"1..4", "0"});
  test::expect_error([] { Codebook({1.0f, 2.0f}, 2, true); }, {"entry 0", "value 0"});
  test::expect_error([] { Codebook({0.0f, std::numeric_limits<float>::quiet_NaN()}, 2, true); },
                     {"value 1", "not finite"});
}

TEST(Codebook, eight_bits_hold_256_values) {
  std::vector<float> values(256);
  for (int i = 0; i < 256; ++i) values[static_cast<std::size_t>(i)] = static_cast<float>(i);
  const Codebook cb(values, 8, true);
  EXPECT_EQ(cb.nearest(254.6f), 255);
}

}  // namespace
}  // namespace eie
