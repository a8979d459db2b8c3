#include <string>

#include "eie/core.h"

namespace eie {
namespace {

void check_shape(std::int64_t rows, std::int64_t cols, std::size_t elements, const char* what) {
  if (rows < 1 || cols < 1) {
    throw Error(std::string(what) + ": shape must be at least 1 x 1, got " + std::to_string(rows) + " x " +
                std::to_string(cols));
  }
  if (rows > UINT32_MAX || cols > UINT32_MAX) {
    throw Error(std::string(what) + ": rows and cols must fit in 32 bits");
  }
  if (elements != static_cast<std::size_t>(rows * cols)) {
    throw Error(std::string(what) + ": expected " + std::to_string(rows * cols) + " elements for " +
                std::to_string(rows) + " x " + std::to_string(cols) + ", got " + std::to_string(elements));
  }
}

void check_bias(std::int64_t rows, std::span<const float> bias, const char* what) {
  if (!bias.empty() && bias.size() != static_cast<std::size_t>(rows)) {
    throw Error(std::string(what) + ": bias has " + std::to_string(bias.size()) + " values, expected " +
                std::to_string(rows));
  }
}

CompressedLayer empty_layer(std::int64_t rows, std::int64_t cols, Codebook codebook,
                            std::span<const float> bias) {
  CompressedLayer layer;
  layer.rows = rows;
  layer.cols = cols;
  layer.provenance.bits = codebook.bits();
  layer.codebook = std::move(codebook);
  layer.bias.assign(bias.begin(), bias.end());
  layer.col_ptr.assign(static_cast<std::size_t>(cols) + 1, 0);
  return layer;
}

}  // namespace

double CompressedLayer::density() const {
  return rows * cols == 0 ? 0.0 : static_cast<double>(nnz()) / static_cast<double>(rows * cols);
}

CompressedLayer CompressedLayer::from_dense(std::int64_t rows, std::int64_t cols, std::span<const float> dense,
                                            Codebook codebook, std::span<const float> bias) {
  check_shape(rows, cols, dense.size(), "from_dense");
  check_bias(rows, bias, "from_dense");
  CompressedLayer layer = empty_layer(rows, cols, std::move(codebook), bias);
  for (std::int64_t j = 0; j < cols; ++j) {
    for (std::int64_t i = 0; i < rows; ++i) {
      const float w = dense[static_cast<std::size_t>(i * cols + j)];
      if (w == 0.0f) continue;
      layer.row_idx.push_back(static_cast<std::uint32_t>(i));
      layer.codes.push_back(layer.codebook.nearest(w));
    }
    layer.col_ptr[static_cast<std::size_t>(j) + 1] = static_cast<std::uint32_t>(layer.row_idx.size());
  }
  layer.provenance.density = layer.density();
  return layer;
}

CompressedLayer CompressedLayer::from_codes(std::int64_t rows, std::int64_t cols,
                                            std::span<const std::uint8_t> codes, Codebook codebook,
                                            std::span<const float> bias) {
  check_shape(rows, cols, codes.size(), "from_codes");
  check_bias(rows, bias, "from_codes");
  CompressedLayer layer = empty_layer(rows, cols, std::move(codebook), bias);
  const bool skip_zero = layer.codebook.zero_reserved();
  for (std::int64_t j = 0; j < cols; ++j) {
    for (std::int64_t i = 0; i < rows; ++i) {
      const std::uint8_t code = codes[static_cast<std::size_t>(i * cols + j)];
      if (code >= layer.codebook.size()) {
        throw Error("from_codes: code " + std::to_string(code) + " at (" + std::to_string(i) + ", " +
                    std::to_string(j) + ") is outside the " + std::to_string(layer.codebook.size()) +
                    "-entry codebook");
      }
      if (skip_zero && code == 0) continue;
      layer.row_idx.push_back(static_cast<std::uint32_t>(i));
      layer.codes.push_back(code);
    }
    layer.col_ptr[static_cast<std::size_t>(j) + 1] = static_cast<std::uint32_t>(layer.row_idx.size());
  }
  layer.provenance.density = layer.density();
  return layer;
}

std::vector<float> CompressedLayer::to_dense() const {
  std::vector<float> dense(static_cast<std::size_t>(rows * cols), 0.0f);
  for (std::int64_t j = 0; j < cols; ++j) {
    for (std::uint32_t k = col_ptr[static_cast<std::size_t>(j)]; k < col_ptr[static_cast<std::size_t>(j) + 1];
         ++k) {
      dense[static_cast<std::size_t>(row_idx[k] * cols + j)] = codebook[codes[k]];
    }
  }
  return dense;
}

void CompressedLayer::validate() const {
  const std::string who = "layer '" + name + "': ";
  if (rows < 1 || cols < 1) {
    throw Error(who + "shape must be at least 1 x 1, got " + std::to_string(rows) + " x " + std::to_string(cols));
  }
  if (codebook.size() == 0) throw Error(who + "codebook is empty");
  if (col_ptr.size() != static_cast<std::size_t>(cols) + 1) {
    throw Error(who + "col_ptr has " + std::to_string(col_ptr.size()) + " entries, expected cols + 1 = " +
                std::to_string(cols + 1));
  }
  if (codes.size() != row_idx.size()) {
    throw Error(who + "codes has " + std::to_string(codes.size()) + " entries but row_idx has " +
                std::to_string(row_idx.size()));
  }
  if (col_ptr.front() != 0 || col_ptr.back() != row_idx.size()) {
    throw Error(who + "col_ptr must run from 0 to nnz = " + std::to_string(row_idx.size()));
  }
  check_bias(rows, bias, ("layer '" + name + "'").c_str());
  for (std::int64_t j = 0; j < cols; ++j) {
    const std::uint32_t begin = col_ptr[static_cast<std::size_t>(j)];
    const std::uint32_t end = col_ptr[static_cast<std::size_t>(j) + 1];
    if (end < begin) throw Error(who + "col_ptr decreases at column " + std::to_string(j));
    if (end > row_idx.size()) {
      throw Error(who + "col_ptr of column " + std::to_string(j) + " points past nnz = " +
                  std::to_string(row_idx.size()));
    }
    for (std::uint32_t k = begin; k < end; ++k) {
      if (row_idx[k] >= rows) {
        throw Error(who + "row index " + std::to_string(row_idx[k]) + " in column " + std::to_string(j) +
                    " is outside " + std::to_string(rows) + " rows");
      }
      if (k > begin && row_idx[k] <= row_idx[k - 1]) {
        throw Error(who + "row indices of column " + std::to_string(j) + " are not strictly increasing");
      }
      if (codes[k] >= codebook.size()) {
        throw Error(who + "code " + std::to_string(codes[k]) + " in column " + std::to_string(j) +
                    " is outside the " + std::to_string(codebook.size()) + "-entry codebook");
      }
      if (codebook.zero_reserved() && codes[k] == 0) {
        throw Error(who + "stored entry in column " + std::to_string(j) +
                    " uses code 0, which the codebook reserves for zero");
      }
    }
  }
}

}  // namespace eie
