// The matrix view of a weight tensor: rows = outputs, cols = inputs, whatever order the file stores it in.
#include <fmt/core.h>

#include "eie/model.h"

namespace eie {

const char* to_string(WeightLayout layout) {
  return layout == WeightLayout::rows_first ? "rows_first" : "transposed";
}

WeightLayout weight_layout_from_string(const std::string& text) {
  if (text == "rows_first") return WeightLayout::rows_first;
  if (text == "transposed") return WeightLayout::transposed;
  throw Error(fmt::format("unknown weight layout '{}' (expected rows_first or transposed)", text));
}

std::vector<float> weight_matrix(const Tensor& tensor, WeightLayout layout) {
  if (layout == WeightLayout::rows_first) return tensor.data;
  if (tensor.shape.size() != 2) {
    throw Error(fmt::format("a transposed weight must have rank 2, got shape {}", shape_string(tensor.shape)));
  }
  const std::int64_t k = tensor.shape[0];  // cols of the matrix
  const std::int64_t n = tensor.shape[1];  // rows of the matrix
  std::vector<float> out(tensor.data.size());
  for (std::int64_t i = 0; i < k; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      out[static_cast<std::size_t>(j * k + i)] = tensor.data[static_cast<std::size_t>(i * n + j)];
    }
  }
  return out;
}

Tensor CompressedWeight::to_tensor() const {
  Tensor t;
  t.shape = shape;
  const std::vector<float> dense = layer.to_dense();  // rows x cols
  if (layout == WeightLayout::rows_first) {
    t.data = dense;
    return t;
  }
  t.data.resize(dense.size());
  for (std::int64_t r = 0; r < layer.rows; ++r) {
    for (std::int64_t c = 0; c < layer.cols; ++c) {
      t.data[static_cast<std::size_t>(c * layer.rows + r)] = dense[static_cast<std::size_t>(r * layer.cols + c)];
    }
  }
  return t;
}

}  // namespace eie
