#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/test_util.h"
#include "eie/compress.h"

namespace eie {
namespace {

TEST(LayerRules, glob_match) {
  EXPECT_TRUE(glob_match("fc*", "fc6"));
  EXPECT_TRUE(glob_match("fc*", "fc"));
  EXPECT_FALSE(glob_match("fc*", "conv1"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("conv?", "conv2"));
  EXPECT_FALSE(glob_match("conv?", "conv10"));
  EXPECT_TRUE(glob_match("*.weight", "features.0.weight"));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(glob_match("ip1", "ip1"));
  EXPECT_FALSE(glob_match("ip1", "ip12"));
}

TEST(LayerRules, parse_density_overrides_last_match_wins) {
  const LayerRules rules = LayerRules::parse_density("fc*=0.09, conv*=0.35,fc8=0.25");
  ASSERT_EQ(rules.rules().size(), 3u);
  EXPECT_EQ(rules.rules()[0], (LayerRule{"fc*", 0.09}));
  EXPECT_EQ(rules.lookup("fc6"), 0.09);
  EXPECT_EQ(rules.lookup("fc8"), 0.25);
  EXPECT_EQ(rules.lookup("conv3"), 0.35);
  EXPECT_FALSE(rules.lookup("lstm").has_value());
}

TEST(LayerRules, bare_value_is_a_default) {
  const LayerRules rules = LayerRules::parse_bits("5,conv*=8");
  EXPECT_EQ(rules.lookup("fc7"), 5.0);
  EXPECT_EQ(rules.lookup("conv1"), 8.0);
}

TEST(LayerRules, parse_errors_name_the_option_and_item) {
  test::expect_error([] { LayerRules::parse_density("fc*=0.09,,conv*=0.3"); }, {"--density", "empty item"});
  test::expect_error([] { LayerRules::parse_density(""); }, {"--density", "empty"});
  test::expect_error([] { LayerRules::parse_density("=0.5"); }, {"--density", "'=0.5'", "no layer pattern"});
  test::expect_error([] { LayerRules::parse_density("fc*="); }, {"--density", "'fc*='", "no value"});
  test::expect_error([] { LayerRules::parse_density("fc*=abc"); }, {"--density", "'abc'", "not a number"});
  test::expect_error([] { LayerRules::parse_density("fc*=0.5x"); }, {"--density", "not a number"});
  test::expect_error([] { LayerRules::parse_density("fc*=1.5"); }, {"--density", "fc*", "(0, 1]", "1.5"});
  test::expect_error([] { LayerRules::parse_density("fc*=0"); }, {"--density", "(0, 1]", "got 0"});
  test::expect_error([] { LayerRules::parse_bits("fc*=9"); }, {"--bits", "fc*", "1..8", "9"});
  test::expect_error([] { LayerRules::parse_bits("conv*=4.5"); }, {"--bits", "integer", "4.5"});
  test::expect_error([] { LayerRules::parse_bits("0"); }, {"--bits", "'*'", "got 0"});
  test::expect_error([] { LayerRules::parse_quality("fc*=-1"); }, {"--quality", ">= 0", "-1"});
  test::expect_error([] { LayerRules::parse("x=nan", "--foo"); }, {"--foo", "not a number"});
}

TEST(LayerRules, pattern_that_matches_no_layer_is_an_error) {
  const std::vector<std::string> layers = {"conv1", "conv2", "fc6", "fc7"};
  const LayerRules rules = LayerRules::parse_bits("fc*=4,conv*=8,lstm*=3");
  test::expect_error([&] { rules.check_all_match(layers, "--bits"); },
                     {"--bits", "pattern 'lstm*' matches no layer", "conv1, conv2, fc6, fc7"});
  EXPECT_NO_THROW(LayerRules::parse_bits("fc*=4,conv*=8").check_all_match(layers, "--bits"));
}

}  // namespace
}  // namespace eie
