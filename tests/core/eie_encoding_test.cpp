#include <gtest/gtest.h>

#include <vector>

#include "common/test_util.h"
#include "eie/core.h"

namespace eie {
namespace {

Codebook small_codebook() {
  std::vector<float> values(16);
  for (int i = 0; i < 16; ++i) values[static_cast<std::size_t>(i)] = static_cast<float>(i);  // code c -> c
  return Codebook(values, 4, true);
}

// One column of `rows` rows with the given (row, code) entries.
CompressedLayer column_layer(std::int64_t rows, const std::vector<std::pair<int, int>>& entries) {
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows), 0);
  for (auto [row, code] : entries) codes[static_cast<std::size_t>(row)] = static_cast<std::uint8_t>(code);
  return CompressedLayer::from_codes(rows, 1, codes, small_codebook());
}

std::vector<EieEntry> entries_of(const EieEncoding& enc, int pe) { return enc.pes[static_cast<std::size_t>(pe)].entries; }

// The paper's Figure 2/3: a 16 x 8 matrix on 4 PEs; PE0 owns rows 0, 4, 8, 12.
TEST(EieEncoding, paper_figure3_pe0_layout) {
  // PE0's non-zeros as the paper lists them, plus entries on the other PEs that must not disturb PE0.
  const std::vector<std::pair<int, int>> pe0 = {{0, 0}, {8, 0}, {12, 0}, {4, 1}, {0, 2}, {12, 2}, {0, 4},
                                                {4, 4}, {0, 5}, {12, 5}, {0, 6}, {8, 7}, {12, 7}};
  const std::vector<std::pair<int, int>> others = {{1, 0}, {5, 0}, {2, 1}, {3, 1}, {7, 2}, {13, 3}, {9, 4},
                                                   {14, 5}, {6, 6}, {11, 6}, {15, 7}, {10, 3}};
  std::vector<std::uint8_t> codes(16 * 8, 0);
  auto code_of = [](int row, int col) { return static_cast<std::uint8_t>((row + col) % 15 + 1); };
  for (auto [row, col] : pe0) codes[static_cast<std::size_t>(row * 8 + col)] = code_of(row, col);
  for (auto [row, col] : others) codes[static_cast<std::size_t>(row * 8 + col)] = code_of(row, col);
  const CompressedLayer layer = CompressedLayer::from_codes(16, 8, codes, small_codebook());

  const EieEncoding enc = encode_eie(layer, 4);
  const PeSlice& slice = enc.pes[0];
  EXPECT_EQ(slice.num_rows, 4);
  EXPECT_EQ(slice.col_ptr, (std::vector<std::uint32_t>{0, 3, 4, 6, 6, 8, 10, 11, 13}));
  const std::vector<int> relative = {0, 1, 0, 1, 0, 2, 0, 0, 0, 2, 0, 2, 0};
  ASSERT_EQ(slice.entries.size(), relative.size());
  for (std::size_t e = 0; e < relative.size(); ++e) {
    EXPECT_EQ(slice.entries[e].z, relative[e]) << "entry " << e;
    EXPECT_EQ(slice.entries[e].v, code_of(pe0[e].first, pe0[e].second)) << "entry " << e;
  }
  EXPECT_EQ(slice.padding_entries, 0);
  EXPECT_EQ(decode_eie(enc), layer);
}

// The paper's column example: [0,0,1,2, eighteen zeros, 3] -> v = [1,2,0,3], z = [2,0,15,2].
TEST(EieEncoding, paper_column_example_pads) {
  const CompressedLayer layer = column_layer(23, {{2, 1}, {3, 2}, {22, 3}});
  const EieEncoding enc = encode_eie(layer, 1);
  EXPECT_EQ(entries_of(enc, 0), (std::vector<EieEntry>{{1, 2}, {2, 0}, {0, 15}, {3, 2}}));
  EXPECT_EQ(enc.pes[0].padding_entries, 1);
  EXPECT_EQ(enc.pes[0].col_ptr, (std::vector<std::uint32_t>{0, 4}));
  EXPECT_EQ(decode_eie(enc), layer);
}

TEST(EieEncoding, run_of_15_zeros_fits) {
  const EieEncoding enc = encode_eie(column_layer(40, {{0, 1}, {16, 2}}), 1);
  EXPECT_EQ(entries_of(enc, 0), (std::vector<EieEntry>{{1, 0}, {2, 15}}));
}

TEST(EieEncoding, run_of_16_zeros_pads) {
  const EieEncoding enc = encode_eie(column_layer(40, {{0, 1}, {17, 2}}), 1);
  EXPECT_EQ(entries_of(enc, 0), (std::vector<EieEntry>{{1, 0}, {0, 15}, {2, 0}}));
}

TEST(EieEncoding, run_of_17_zeros_pads) {
  const EieEncoding enc = encode_eie(column_layer(40, {{0, 1}, {18, 2}}), 1);
  EXPECT_EQ(entries_of(enc, 0), (std::vector<EieEntry>{{1, 0}, {0, 15}, {2, 1}}));
}

TEST(EieEncoding, leading_runs_of_15_16_17_zeros) {
  EXPECT_EQ(entries_of(encode_eie(column_layer(40, {{15, 3}}), 1), 0), (std::vector<EieEntry>{{3, 15}}));
  EXPECT_EQ(entries_of(encode_eie(column_layer(40, {{16, 3}}), 1), 0), (std::vector<EieEntry>{{0, 15}, {3, 0}}));
  EXPECT_EQ(entries_of(encode_eie(column_layer(40, {{17, 3}}), 1), 0), (std::vector<EieEntry>{{0, 15}, {3, 1}}));
}

TEST(EieEncoding, runs_longer_than_two_paddings) {
  // 40 zeros before the entry: 16 + 16 covered by two paddings, 8 left.
  const EieEncoding enc = encode_eie(column_layer(60, {{40, 5}}), 1);
  EXPECT_EQ(entries_of(enc, 0), (std::vector<EieEntry>{{0, 15}, {0, 15}, {5, 8}}));
}

TEST(EieEncoding, runs_count_only_the_pes_own_rows) {
  // On 4 PEs rows 0 and 64 are PE0's local rows 0 and 16: 15 of PE0's rows lie between them.
  const EieEncoding enc = encode_eie(column_layer(80, {{0, 1}, {64, 2}, {65, 3}}), 4);
  EXPECT_EQ(entries_of(enc, 0), (std::vector<EieEntry>{{1, 0}, {2, 15}}));
  EXPECT_EQ(entries_of(enc, 1), (std::vector<EieEntry>{{0, 15}, {3, 0}}));  // row 65 = PE1 local 16
  EXPECT_EQ(entries_of(enc, 2).size(), 0u);
}

TEST(EieEncoding, index_bits_set_the_padding_range) {
  // index_bits 2: at most 3 zeros per entry.
  const EieEncoding enc = encode_eie(column_layer(20, {{9, 1}}), 1, 2);
  EXPECT_EQ(entries_of(enc, 0), (std::vector<EieEntry>{{0, 3}, {0, 3}, {1, 1}}));
  const EieEncoding wide = encode_eie(column_layer(300, {{254, 1}, {299, 2}}), 1, 8);
  EXPECT_EQ(entries_of(wide, 0), (std::vector<EieEntry>{{1, 254}, {2, 44}}));
}

TEST(EieEncoding, rows_not_multiple_of_pes) {
  const CompressedLayer layer = test::LayerTester().rows(10).cols(5).density(1.0).build(test::seed());
  const EieEncoding enc = encode_eie(layer, 4);
  EXPECT_EQ(enc.pes[0].num_rows, 3);  // rows 0, 4, 8
  EXPECT_EQ(enc.pes[1].num_rows, 3);  // rows 1, 5, 9
  EXPECT_EQ(enc.pes[2].num_rows, 2);
  EXPECT_EQ(enc.pes[3].num_rows, 2);
  EXPECT_EQ(decode_eie(enc), layer);
}

TEST(EieEncoding, more_pes_than_rows) {
  const CompressedLayer layer = test::LayerTester().rows(3).cols(7).density(1.0).build(test::seed());
  const EieEncoding enc = encode_eie(layer, 256);
  EXPECT_EQ(enc.pes[2].num_rows, 1);
  EXPECT_EQ(enc.pes[3].num_rows, 0);
  EXPECT_EQ(enc.pes[255].entries.size(), 0u);
  EXPECT_EQ(decode_eie(enc), layer);
}

TEST(EieEncoding, empty_rows_and_columns) {
  std::vector<std::uint8_t> codes(6 * 5, 0);
  codes[1 * 5 + 2] = 3;  // only (1, 2): rows 0, 2..5 and columns 0, 1, 3, 4 are empty
  const CompressedLayer layer = CompressedLayer::from_codes(6, 5, codes, small_codebook());
  const EieEncoding enc = encode_eie(layer, 2);
  EXPECT_EQ(enc.pes[1].col_ptr, (std::vector<std::uint32_t>{0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(enc.pes[0].col_ptr, (std::vector<std::uint32_t>{0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(decode_eie(enc), layer);
}

TEST(EieEncoding, stats_count_entries_padding_pointers_and_bytes) {
  const EieEncoding enc = encode_eie(column_layer(23, {{2, 1}, {3, 2}, {22, 3}}), 1);
  const EncodingStats stats = encoding_stats(enc);
  ASSERT_EQ(stats.pes.size(), 1u);
  EXPECT_EQ(stats.pes[0].real_entries, 3);
  EXPECT_EQ(stats.pes[0].padding_entries, 1);
  EXPECT_EQ(stats.pes[0].pointers, 2);
  EXPECT_EQ(stats.pes[0].bytes, 4 * 8 / 8 + 2 * 2);  // 4 entries x (4 + 4) bits + 2 16-bit pointers
  EXPECT_DOUBLE_EQ(stats.padding_fraction(), 0.25);
  EXPECT_DOUBLE_EQ(stats.imbalance, 1.0);
  EXPECT_EQ(stats.dense_fp32_bytes, 23 * 4);
}

TEST(EieEncoding, imbalance_is_max_over_mean) {
  // 3 entries on PE0, 1 on PE1: mean 2, max 3.
  const EieEncoding enc = encode_eie(column_layer(8, {{0, 1}, {2, 1}, {4, 1}, {1, 1}}), 2);
  EXPECT_DOUBLE_EQ(encoding_stats(enc).imbalance, 1.5);
}

// dense -> layer -> EIE(N) -> layer -> dense over random shapes, densities and PE counts.
TEST(EieEncoding, round_trip_sweep) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  for (int num_pes : {1, 2, 3, 4, 7, 64, 256}) {
    for (double density : {0.0, 0.001, 0.04, 0.25, 1.0}) {
      // Shapes anywhere in 1..3000 x 1..3000, bounded in stored entries to keep the sanitizer run short.
      std::int64_t rows, cols;
      do {
        rows = 1 + static_cast<std::int64_t>(rng.below(3000));
        cols = 1 + static_cast<std::int64_t>(rng.below(3000));
      } while (static_cast<double>(rows * cols) * std::max(density, 0.01) > 300000.0);
      for (int index_bits : {4, 2 + static_cast<int>(rng.below(7))}) {
        const int bits = 1 + static_cast<int>(rng.below(8));
        const test::LayerTester tester =
            test::LayerTester().rows(rows).cols(cols).density(density).bits(bits).bias(rng.below(2) == 1);
        SCOPED_TRACE(tester.describe() + " pes " + std::to_string(num_pes) + " index_bits " +
                     std::to_string(index_bits));
        const CompressedLayer layer = tester.build(rng.next());
        const std::vector<float> dense = layer.to_dense();
        const CompressedLayer from_dense =
            CompressedLayer::from_dense(rows, cols, dense, layer.codebook, layer.bias);
        ASSERT_EQ(from_dense.row_idx, layer.row_idx);
        ASSERT_EQ(from_dense.codes, layer.codes);
        const EieEncoding enc = encode_eie(from_dense, num_pes, index_bits);
        const CompressedLayer back = decode_eie(enc);
        ASSERT_EQ(back, from_dense);
        ASSERT_EQ(back.to_dense(), dense);
        const EncodingStats stats = encoding_stats(enc);
        ASSERT_EQ(stats.real_entries, layer.nnz());
      }
    }
  }
}

TEST(EieEncoding, bad_arguments_name_the_argument_and_value) {
  const CompressedLayer layer = test::LayerTester().build(1);
  test::expect_error([&] { encode_eie(layer, 0); }, {"num_pes", "0"});
  test::expect_error([&] { encode_eie(layer, -3); }, {"num_pes", "-3"});
  test::expect_error([&] { encode_eie(layer, 4, 1); }, {"index_bits", "1"});
  test::expect_error([&] { encode_eie(layer, 4, 9); }, {"index_bits", "9"});

  CompressedLayer bad_code = layer;
  ASSERT_GT(bad_code.nnz(), 0);
  bad_code.codes[0] = 16;
  test::expect_error([&] { encode_eie(bad_code, 4); }, {"code 16", "16-entry codebook"});

  CompressedLayer bad_shape = layer;
  bad_shape.col_ptr.pop_back();
  test::expect_error([&] { encode_eie(bad_shape, 4); }, {"col_ptr", "cols + 1"});

  CompressedLayer bad_bias = layer;
  bad_bias.bias.push_back(1.0f);
  test::expect_error([&] { encode_eie(bad_bias, 4); }, {"bias", "17"});

  CompressedLayer no_zero = layer;
  no_zero.codebook = Codebook({0.5f, 1.0f}, 4, false);
  no_zero.codes.assign(no_zero.codes.size(), 1);
  test::expect_error([&] { encode_eie(no_zero, 4); }, {"codebook entry 0", "reserved"});
}

}  // namespace
}  // namespace eie
