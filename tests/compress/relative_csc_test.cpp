#include <gtest/gtest.h>

#include <vector>

#include "common/test_util.h"
#include "eie/compress.h"

namespace eie {
namespace {

Codebook identity_codebook() {
  std::vector<float> values(16);
  for (int i = 0; i < 16; ++i) values[static_cast<std::size_t>(i)] = static_cast<float>(i);
  return Codebook(values, 4, true);
}

CompressedLayer column_layer(std::int64_t rows, const std::vector<std::pair<int, int>>& entries) {
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows), 0);
  for (auto [row, code] : entries) codes[static_cast<std::size_t>(row)] = static_cast<std::uint8_t>(code);
  return CompressedLayer::from_codes(rows, 1, codes, identity_codebook());
}

// The EIE paper's column example, stored with one PE: [0,0,1,2, eighteen zeros, 3] -> codes [1,2,0,3],
// relative indices [2,0,15,2] (one filler zero).
TEST(RelativeCsc, paper_column_example_filler_zero) {
  const CompressedLayer layer = column_layer(23, {{2, 1}, {3, 2}, {22, 3}});
  const RelativeCsc csc = encode_relative_csc(layer, 4);
  EXPECT_EQ(csc.codes, (std::vector<std::uint8_t>{1, 2, 0, 3}));
  EXPECT_EQ(csc.index, (std::vector<std::uint8_t>{2, 0, 15, 2}));
  EXPECT_EQ(csc.filler_entries, 1);
  EXPECT_EQ(csc.col_ptr, (std::vector<std::uint32_t>{0, 4}));
  EXPECT_EQ(decode_relative_csc(csc), layer);
}

TEST(RelativeCsc, gaps_of_15_16_17_and_long_runs) {
  EXPECT_EQ(encode_relative_csc(column_layer(40, {{0, 1}, {16, 2}}), 4).index, (std::vector<std::uint8_t>{0, 15}));
  EXPECT_EQ(encode_relative_csc(column_layer(40, {{0, 1}, {17, 2}}), 4).index, (std::vector<std::uint8_t>{0, 15, 0}));
  EXPECT_EQ(encode_relative_csc(column_layer(40, {{0, 1}, {18, 2}}), 4).index, (std::vector<std::uint8_t>{0, 15, 1}));
  // 5-bit indices (conv default): 31 zeros fit, 32 need a filler.
  EXPECT_EQ(encode_relative_csc(column_layer(80, {{31, 1}}), 5).filler_entries, 0);
  EXPECT_EQ(encode_relative_csc(column_layer(80, {{32, 1}}), 5).filler_entries, 1);
  // A gap of 70 with 4-bit indices: 70 = 16 + 16 + 16 + 16 + 6 -> four fillers.
  const RelativeCsc long_gap = encode_relative_csc(column_layer(100, {{70, 5}}), 4);
  EXPECT_EQ(long_gap.index, (std::vector<std::uint8_t>{15, 15, 15, 15, 6}));
  EXPECT_EQ(long_gap.codes, (std::vector<std::uint8_t>{0, 0, 0, 0, 5}));
  // 1-bit indices: every gap longer than 1 needs fillers.
  const CompressedLayer tiny = column_layer(10, {{5, 3}});
  EXPECT_EQ(encode_relative_csc(tiny, 1).index, (std::vector<std::uint8_t>{1, 1, 1}));
  EXPECT_EQ(decode_relative_csc(encode_relative_csc(tiny, 1)), tiny);
}

TEST(RelativeCsc, round_trip_random_layers) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  for (int trial = 0; trial < 60; ++trial) {
    test::LayerTester tester;
    tester.rows(1 + static_cast<std::int64_t>(rng.below(300)))
        .cols(1 + static_cast<std::int64_t>(rng.below(40)))
        .density(trial % 6 == 0 ? 1.0 : trial % 6 == 1 ? 0.0 : rng.uniform())
        .bits(1 + static_cast<int>(rng.below(8)))
        .bias(trial % 2 == 0);
    const CompressedLayer layer = tester.build(test::seed() + static_cast<std::uint64_t>(trial));
    for (int index_bits = 1; index_bits <= 8; ++index_bits) {
      const RelativeCsc csc = encode_relative_csc(layer, index_bits);
      EXPECT_EQ(csc.entries() - csc.filler_entries, layer.nnz());
      for (std::uint8_t z : csc.index) ASSERT_LE(z, csc.max_gap());
      EXPECT_EQ(decode_relative_csc(csc), layer) << tester.describe() << " index bits " << index_bits;
    }
  }
}

TEST(RelativeCsc, empty_columns_and_all_zero_layer) {
  const CompressedLayer zero = column_layer(50, {});
  const RelativeCsc csc = encode_relative_csc(zero, 4);
  EXPECT_EQ(csc.entries(), 0);
  EXPECT_EQ(decode_relative_csc(csc), zero);
  std::vector<std::uint8_t> codes(3 * 4, 0);
  codes[1 * 4 + 2] = 7;  // only column 2 has an entry
  const CompressedLayer layer = CompressedLayer::from_codes(3, 4, codes, identity_codebook());
  const RelativeCsc c = encode_relative_csc(layer, 4);
  EXPECT_EQ(c.col_ptr, (std::vector<std::uint32_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(decode_relative_csc(c), layer);
}

TEST(RelativeCsc, dense_layer_without_reserved_zero) {
  // Sharing alone (no pruning): every weight stored, no fillers, code 0 is a real weight.
  std::vector<std::uint8_t> codes = {0, 1, 2, 3, 3, 2, 1, 0};
  const CompressedLayer layer = CompressedLayer::from_codes(4, 2, codes, Codebook({-1, 0.5f, 1, 2}, 2, false));
  const RelativeCsc csc = encode_relative_csc(layer, 4);
  EXPECT_EQ(csc.filler_entries, 0);
  EXPECT_EQ(csc.index, std::vector<std::uint8_t>(8, 0));
  EXPECT_EQ(decode_relative_csc(csc), layer);
}

TEST(RelativeCsc, filler_without_reserved_zero_is_an_error) {
  CompressedLayer layer = CompressedLayer::from_codes(4, 1, std::vector<std::uint8_t>{1, 0, 0, 1},
                                                      Codebook({0.0f, 1.0f}, 1, true));
  layer.name = "fc9";
  layer.codebook = Codebook({0.5f, 1.0f}, 1, false);
  test::expect_error([&] { encode_relative_csc(layer, 1); }, {"fc9", "filler zero", "not reserved"});
}

TEST(RelativeCsc, corrupt_encodings_are_errors) {
  CompressedLayer layer = column_layer(40, {{2, 1}, {30, 2}});
  layer.name = "fc1";
  const RelativeCsc good = encode_relative_csc(layer, 4);  // codes 1, 0, 2; index 2, 15, 11
  auto expect = [&](auto mutate, std::initializer_list<std::string> fragments) {
    RelativeCsc bad = good;
    mutate(bad);
    test::expect_error([&] { decode_relative_csc(bad); }, fragments);
  };
  expect([](RelativeCsc& c) { c.index[2] = 16; }, {"fc1", "relative index 16"});
  expect([](RelativeCsc& c) { c.index[2] = 14; c.index[0] = 15; c.index[1] = 15; }, {"fc1", "past the last row"});
  expect([](RelativeCsc& c) { c.codes[0] = 16; }, {"fc1", "code 16", "16-entry codebook"});
  expect([](RelativeCsc& c) { c.index[1] = 3; }, {"fc1", "filler zero must bridge"});
  expect([](RelativeCsc& c) { c.col_ptr.push_back(3); }, {"fc1", "column pointers"});
  expect([](RelativeCsc& c) { c.index.pop_back(); }, {"fc1", "3 codes but 2 relative indices"});
  expect([](RelativeCsc& c) { c.col_ptr[1] = 2; }, {"fc1", "column pointers must run from 0 to 3"});
  // A middle pointer past the entries (the next one decreases back): caught before any entry is read.
  expect([](RelativeCsc& c) { c.cols = 2; c.col_ptr = {0, 100, 3}; }, {"fc1", "column pointer 100 at column 1 is past the 3 entries"});
  expect([](RelativeCsc& c) { c.index_bits = 9; }, {"fc1", "index bits", "9"});
  test::expect_error([&] { encode_relative_csc(layer, 0); }, {"fc1", "index bits", "0"});
  // A filler zero that ends its column bridges nothing.
  CompressedLayer tall = column_layer(60, {{2, 1}});
  tall.name = "fc2";
  RelativeCsc trailing = encode_relative_csc(tall, 4);
  trailing.codes.push_back(0);
  trailing.index.push_back(15);
  trailing.col_ptr[1] = 2;
  test::expect_error([&] { decode_relative_csc(trailing); }, {"fc2", "filler zero must bridge"});
}

}  // namespace
}  // namespace eie
