#include <gtest/gtest.h>

#include "common/test_util.h"
#include "eie/core.h"

namespace eie {
namespace {

const Codebook kCodebook({0.0f, -1.0f, 0.5f, 2.0f}, 2, true);

TEST(CompressedLayer, from_dense_stores_non_zeros_in_csc) {
  // 3 x 2, row-major: [[0, 2], [-1, 0], [0.4, 1.9]]
  const std::vector<float> dense = {0, 2, -1, 0, 0.4f, 1.9f};
  const CompressedLayer layer = CompressedLayer::from_dense(3, 2, dense, kCodebook, std::vector<float>{1, 2, 3});
  EXPECT_EQ(layer.col_ptr, (std::vector<std::uint32_t>{0, 2, 4}));
  EXPECT_EQ(layer.row_idx, (std::vector<std::uint32_t>{1, 2, 0, 2}));
  EXPECT_EQ(layer.codes, (std::vector<std::uint8_t>{1, 2, 3, 3}));
  EXPECT_DOUBLE_EQ(layer.density(), 4.0 / 6.0);
  EXPECT_EQ(layer.to_dense(), (std::vector<float>{0, 2, -1, 0, 0.5f, 2}));
  EXPECT_NO_THROW(layer.validate());
}

TEST(CompressedLayer, from_codes_without_reserved_zero_stores_everything) {
  const Codebook plain({2.0f, 1.5f, 0.0f, -1.0f}, 2, false);
  const CompressedLayer layer = CompressedLayer::from_codes(2, 2, std::vector<std::uint8_t>{0, 2, 3, 1}, plain);
  EXPECT_EQ(layer.nnz(), 4);
  EXPECT_EQ(layer.to_dense(), (std::vector<float>{2.0f, 0.0f, -1.0f, 1.5f}));
}

TEST(CompressedLayer, single_row_and_single_column) {
  const CompressedLayer row = CompressedLayer::from_codes(1, 5, std::vector<std::uint8_t>{0, 1, 0, 3, 2}, kCodebook);
  EXPECT_EQ(row.col_ptr, (std::vector<std::uint32_t>{0, 0, 1, 1, 2, 3}));
  EXPECT_EQ(decode_eie(encode_eie(row, 3)), row);
  const CompressedLayer col = CompressedLayer::from_codes(5, 1, std::vector<std::uint8_t>{0, 1, 0, 3, 2}, kCodebook);
  EXPECT_EQ(col.row_idx, (std::vector<std::uint32_t>{1, 3, 4}));
  EXPECT_EQ(decode_eie(encode_eie(col, 2)), col);
}

TEST(CompressedLayer, bad_input_names_the_field) {
  test::expect_error([] { CompressedLayer::from_dense(2, 2, std::vector<float>{1, 2, 3}, kCodebook); },
                     {"from_dense", "expected 4 elements", "got 3"});
  test::expect_error([] { CompressedLayer::from_dense(0, 2, std::vector<float>{}, kCodebook); }, {"0 x 2"});
  test::expect_error(
      [] { CompressedLayer::from_dense(2, 1, std::vector<float>{1, 2}, kCodebook, std::vector<float>{1}); },
      {"bias has 1", "expected 2"});
  test::expect_error([] { CompressedLayer::from_codes(1, 2, std::vector<std::uint8_t>{1, 4}, kCodebook); },
                     {"code 4", "(0, 1)", "4-entry codebook"});

  CompressedLayer layer = CompressedLayer::from_codes(3, 1, std::vector<std::uint8_t>{1, 0, 2}, kCodebook);
  layer.name = "fc1";
  CompressedLayer unsorted = layer;
  std::swap(unsorted.row_idx[0], unsorted.row_idx[1]);
  test::expect_error([&] { unsorted.validate(); }, {"fc1", "strictly increasing", "column 0"});
  CompressedLayer out_of_range = layer;
  out_of_range.row_idx[1] = 3;
  test::expect_error([&] { out_of_range.validate(); }, {"row index 3", "3 rows"});
  CompressedLayer past_nnz = layer;  // [0, 10, 2] with 2 entries: the middle pointer runs past the entries
  past_nnz.cols = 2;
  past_nnz.col_ptr = {0, 10, 2};
  test::expect_error([&] { past_nnz.validate(); }, {"column 0", "past nnz = 2"});
  CompressedLayer zero_code = layer;
  zero_code.codes[0] = 0;
  test::expect_error([&] { zero_code.validate(); }, {"code 0", "reserves"});
}

}  // namespace
}  // namespace eie
