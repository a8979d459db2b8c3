// Re-encoding a CompressedLayer for the GPU kernels. Both layouts keep one code byte per entry (codebooks of
// up to 256 entries) next to a short index: 24 bits of absolute row for the batch-1 CSC (columns walked by the
// scatter kernel), 7 bits of column within a 128-column panel for the batch > 1 row-major panels.
#include "cuda/layout.h"

#include <limits>
#include <string>

#include "cuda/kernels.h"

namespace eie::cuda {

std::int64_t LayerLayout::bytes() const {
  return static_cast<std::int64_t>(col_ptr.size() * sizeof(std::uint32_t) + csc.size() * sizeof(std::uint32_t) +
                                   panel_ptr.size() * sizeof(std::uint32_t) +
                                   panel_entries.size() * sizeof(std::uint16_t) + table.size() * sizeof(float));
}

void check_layout_limits(const CompressedLayer& layer) {
  if (layer.rows > (std::int64_t{1} << 24)) {
    throw Error("cuda: layer '" + layer.name + "' has " + std::to_string(layer.rows) +
                " rows; the GPU layout holds at most 16,777,216 (24-bit row indices)");
  }
  if (layer.cols > std::numeric_limits<int>::max()) {
    throw Error("cuda: layer '" + layer.name + "' has " + std::to_string(layer.cols) + " columns; at most 2^31 - 1");
  }
}

std::int64_t planned_layout_bytes(const CompressedLayer& layer, bool with_panels) {
  const std::int64_t panels = (layer.cols + kPanelCols - 1) / kPanelCols;
  std::int64_t bytes = (layer.cols + 1) * 4 + layer.nnz() * 4 + kTableSize * 4;
  if (with_panels) bytes += (layer.rows * panels + 1) * 4 + layer.nnz() * 2;
  return bytes;
}

LayerLayout plan_layout(const CompressedLayer& layer, bool with_panels) {
  static_assert(kPanelCols <= 256, "the column within a panel is stored in 8 bits");
  check_layout_limits(layer);
  LayerLayout out;
  out.panels = static_cast<int>((layer.cols + kPanelCols - 1) / kPanelCols);
  out.col_ptr = layer.col_ptr;
  out.csc.resize(layer.row_idx.size());
  for (std::size_t k = 0; k < layer.row_idx.size(); ++k) out.csc[k] = layer.row_idx[k] << 8 | layer.codes[k];

  out.table.assign(kTableSize, 0.0f);
  for (std::size_t c = 0; c < layer.codebook.size(); ++c) out.table[c] = layer.codebook[c];

  if (with_panels) {
    const auto panels = static_cast<std::size_t>(out.panels);
    // Count the entries of every (row, panel), prefix-sum into offsets, then deal the entries out column by
    // column, so that within a (row, panel) they are in column order.
    out.panel_ptr.assign(static_cast<std::size_t>(layer.rows) * panels + 1, 0);
    for (std::int64_t j = 0; j < layer.cols; ++j) {
      const std::size_t p = static_cast<std::size_t>(j) / kPanelCols;
      for (auto k = layer.col_ptr[static_cast<std::size_t>(j)]; k < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++k) {
        ++out.panel_ptr[layer.row_idx[k] * panels + p + 1];
      }
    }
    for (std::size_t i = 1; i < out.panel_ptr.size(); ++i) out.panel_ptr[i] += out.panel_ptr[i - 1];
    std::vector<std::uint32_t> cursor(out.panel_ptr.begin(), out.panel_ptr.end() - 1);
    out.panel_entries.resize(layer.row_idx.size());
    for (std::int64_t j = 0; j < layer.cols; ++j) {
      const std::size_t p = static_cast<std::size_t>(j) / kPanelCols;
      const auto in_panel = static_cast<std::uint16_t>(static_cast<std::size_t>(j) % kPanelCols);
      for (auto k = layer.col_ptr[static_cast<std::size_t>(j)]; k < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++k) {
        out.panel_entries[cursor[layer.row_idx[k] * panels + p]++] = static_cast<std::uint16_t>(in_panel << 8 | layer.codes[k]);
      }
    }
  }
  return out;
}

}  // namespace eie::cuda
