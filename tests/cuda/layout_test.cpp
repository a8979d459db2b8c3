// The GPU layouts, checked on the host (these tests run without a GPU): each layout is walked exactly as its
// kernel walks it (kernels.cu) and must give core's reference, and must hold what its kernel assumes.
#include <gtest/gtest.h>

#include <cmath>

#include "common/test_util.h"
#include "cuda/kernels.h"
#include "cuda/layout.h"
#include "cuda_test_util.h"

namespace eie::test {
namespace {

using cuda::kPanelCols;
using cuda::LayerLayout;

// scatter_columns: the non-zero activations only, column by column, each entry added into its row.
std::vector<double> walk_scatter(const LayerLayout& l, const CompressedLayer& layer, std::span<const float> x) {
  std::vector<double> y(static_cast<std::size_t>(layer.rows), 0.0);
  for (std::size_t r = 0; r < layer.bias.size(); ++r) y[r] = layer.bias[r];
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    const float a = x[static_cast<std::size_t>(j)];
    if (a == 0.0f) continue;
    for (auto e = l.col_ptr[static_cast<std::size_t>(j)]; e < l.col_ptr[static_cast<std::size_t>(j) + 1]; ++e) {
      y[l.csc[e] >> 8] += static_cast<double>(l.table[l.csc[e] & 0xffu]) * static_cast<double>(a);
    }
  }
  return y;
}

// spmm_panels for one batch element: row by row, panel by panel, bias last.
std::vector<double> walk_panels(const LayerLayout& l, const CompressedLayer& layer, std::span<const float> x) {
  std::vector<double> y(static_cast<std::size_t>(layer.rows), 0.0);
  const auto panels = static_cast<std::size_t>(l.panels);
  for (std::size_t r = 0; r < y.size(); ++r) {
    for (std::size_t p = 0; p < panels; ++p) {
      for (auto e = l.panel_ptr[r * panels + p]; e < l.panel_ptr[r * panels + p + 1]; ++e) {
        const std::size_t col = p * kPanelCols + (l.panel_entries[e] >> 8);
        EXPECT_LT(col, static_cast<std::size_t>(layer.cols));
        y[r] += static_cast<double>(l.table[l.panel_entries[e] & 0xffu]) * static_cast<double>(x[col]);
      }
    }
    if (!layer.bias.empty()) y[r] += layer.bias[r];
  }
  return y;
}

void check_layout(const CompressedLayer& layer, std::uint64_t seed) {
  SCOPED_TRACE(std::to_string(layer.rows) + "x" + std::to_string(layer.cols) + " entries " + std::to_string(layer.nnz()) +
               " codebook " + std::to_string(layer.codebook.size()));
  const LayerLayout l = cuda::plan_layout(layer, true);
  ASSERT_EQ(l.panels, (layer.cols + kPanelCols - 1) / kPanelCols);
  ASSERT_EQ(l.table.size(), static_cast<std::size_t>(cuda::kTableSize));
  ASSERT_EQ(l.col_ptr.size(), static_cast<std::size_t>(layer.cols) + 1);
  ASSERT_EQ(l.csc.size(), static_cast<std::size_t>(layer.nnz()));
  ASSERT_EQ(l.panel_ptr.size(), static_cast<std::size_t>(layer.rows * l.panels) + 1);
  ASSERT_EQ(l.panel_ptr.front(), 0u);
  ASSERT_EQ(l.panel_ptr.back(), static_cast<std::uint32_t>(layer.nnz()));
  for (std::size_t i = 1; i < l.panel_ptr.size(); ++i) ASSERT_LE(l.panel_ptr[i - 1], l.panel_ptr[i]);
  EXPECT_EQ(l.bytes(), cuda::planned_layout_bytes(layer, true));
  EXPECT_EQ(cuda::plan_layout(layer, false).bytes(), cuda::planned_layout_bytes(layer, false));
  for (double density : {0.0, 0.3, 1.0}) {
    const std::vector<float> x = synthetic_activations(layer.cols, density, seed);
    const std::vector<double> ref = reference_spmv(layer, x);
    EXPECT_EQ(walk_scatter(l, layer, x), ref);  // same order as the reference: bit for bit
    EXPECT_LE(max_relative_error(walk_panels(l, layer, x), ref), 1e-12);
  }
}

TEST(CudaLayout, random_layers_walk_to_the_reference) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int i = 0; i < 30; ++i) {
    const auto rows = static_cast<std::int64_t>(1 + rng.below(300));
    const auto cols = static_cast<std::int64_t>(1 + rng.below(600));
    check_layout(LayerTester().rows(rows).cols(cols).density(rng.uniform()).bits(1 + static_cast<int>(rng.below(8)))
                     .build(seed() + static_cast<std::uint64_t>(i)),
                 seed() + static_cast<std::uint64_t>(i));
  }
}

TEST(CudaLayout, codebook_sizes_2_3_16_17_256) {
  SCOPED_TRACE(seed_trace());
  for (int entries : {2, 3, 16, 17, 256}) check_layout(layer_with_codebook(70, 300, 0.2, entries, true, seed()), seed());
}

TEST(CudaLayout, edge_cases) {
  SCOPED_TRACE(seed_trace());
  check_layout(LayerTester().rows(1).cols(1).density(1.0).build(seed()), seed());
  check_layout(LayerTester().rows(33).cols(129).density(0.0).build(seed()), seed());     // no entries
  check_layout(LayerTester().rows(300).cols(257).density(0.005).build(seed()), seed());  // empty rows, columns
  check_layout(LayerTester().rows(5).cols(128).density(1.0).build(seed()), seed());     // exactly one panel
}

TEST(CudaLayout, packs_rows_codes_and_panel_columns) {
  // Column 0: rows 2 (code 1) and 7 (code 3); column 130 (second panel, column 2 in it): row 7 (code 2).
  std::vector<std::uint8_t> codes(8 * 131, 0);
  codes[2 * 131 + 0] = 1;
  codes[7 * 131 + 0] = 3;
  codes[7 * 131 + 130] = 2;
  const CompressedLayer layer = CompressedLayer::from_codes(8, 131, codes, Codebook({0.0f, 0.5f, -1.0f, 2.0f}, 2, true));
  const LayerLayout l = cuda::plan_layout(layer, true);
  EXPECT_EQ(l.csc, (std::vector<std::uint32_t>{2u << 8 | 1, 7u << 8 | 3, 7u << 8 | 2}));
  EXPECT_EQ(l.panel_entries, (std::vector<std::uint16_t>{0 << 8 | 1, 0 << 8 | 3, 2 << 8 | 2}));
  EXPECT_EQ(l.panel_ptr[7 * 2 + 0], 1u);  // row 7, panel 0 starts after row 2's one entry
  EXPECT_EQ(l.panel_ptr[7 * 2 + 1], 2u);  // row 7, panel 1
  EXPECT_EQ(l.table[3], 2.0f);
  EXPECT_EQ(l.table[4], 0.0f);
  EXPECT_TRUE(cuda::plan_layout(layer, false).panel_ptr.empty());
}

TEST(CudaLayout, more_than_2_to_the_24_rows_is_an_error) {
  CompressedLayer layer;
  layer.name = "tall";
  layer.rows = (std::int64_t{1} << 24) + 1;
  layer.cols = 1;
  layer.codebook = Codebook({0.0f, 1.0f}, 1, true);
  layer.col_ptr = {0, 0};
  expect_error([&] { cuda::plan_layout(layer, false); }, {"'tall'", "16777217 rows", "24-bit"});
}

}  // namespace
}  // namespace eie::test
