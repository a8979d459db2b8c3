// The scalar references. They are the specification: plain loops, double accumulators, no cleverness.
// Within each output row the contributions are added in increasing column order starting from the bias, in
// all three functions, so they agree bit for bit on the same matrix.
#include <string>

#include "eie/core.h"

namespace eie {
namespace {

std::vector<double> start_from_bias(std::int64_t rows, const std::vector<float>& bias) {
  std::vector<double> y(static_cast<std::size_t>(rows), 0.0);
  for (std::size_t i = 0; i < bias.size(); ++i) y[i] = bias[i];
  return y;
}

void check_input(std::int64_t cols, std::size_t n, const std::string& name) {
  if (n != static_cast<std::size_t>(cols)) {
    throw Error("reference_spmv: layer '" + name + "' takes " + std::to_string(cols) + " inputs, got " +
                std::to_string(n));
  }
}

}  // namespace

std::vector<double> reference_spmv(const EieEncoding& enc, std::span<const float> x) {
  check_input(enc.cols, x.size(), enc.name);
  std::vector<double> y = start_from_bias(enc.rows, enc.bias);
  for (std::int64_t j = 0; j < enc.cols; ++j) {
    const float a = x[static_cast<std::size_t>(j)];
    if (a == 0.0f) continue;  // dynamic sparsity: a zero activation touches no weight
    for (int k = 0; k < enc.num_pes; ++k) {
      const PeSlice& pe = enc.pes[static_cast<std::size_t>(k)];
      std::int64_t local = 0;
      for (std::uint32_t e = pe.col_ptr[static_cast<std::size_t>(j)];
           e < pe.col_ptr[static_cast<std::size_t>(j) + 1]; ++e) {
        local += pe.entries[e].z;
        if (pe.entries[e].v != 0) {  // padding entries are not written (the paper's arithmetic unit)
          y[static_cast<std::size_t>(enc.global_row(k, local))] +=
              static_cast<double>(enc.codebook[pe.entries[e].v]) * static_cast<double>(a);
        }
        ++local;
      }
    }
  }
  return y;
}

std::vector<double> reference_spmv(const CompressedLayer& layer, std::span<const float> x) {
  check_input(layer.cols, x.size(), layer.name);
  std::vector<double> y = start_from_bias(layer.rows, layer.bias);
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    const float a = x[static_cast<std::size_t>(j)];
    if (a == 0.0f) continue;
    for (std::uint32_t e = layer.col_ptr[static_cast<std::size_t>(j)];
         e < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++e) {
      y[layer.row_idx[e]] += static_cast<double>(layer.codebook[layer.codes[e]]) * static_cast<double>(a);
    }
  }
  return y;
}

std::vector<double> dense_reference(std::int64_t rows, std::int64_t cols, std::span<const float> w,
                                    std::span<const float> x, std::span<const float> bias) {
  if (w.size() != static_cast<std::size_t>(rows * cols) || x.size() != static_cast<std::size_t>(cols) ||
      (!bias.empty() && bias.size() != static_cast<std::size_t>(rows))) {
    throw Error("dense_reference: sizes do not match a " + std::to_string(rows) + " x " + std::to_string(cols) +
                " matrix");
  }
  std::vector<double> y(static_cast<std::size_t>(rows), 0.0);
  for (std::int64_t i = 0; i < rows; ++i) {
    double sum = bias.empty() ? 0.0 : bias[static_cast<std::size_t>(i)];
    for (std::int64_t j = 0; j < cols; ++j) {
      const float a = x[static_cast<std::size_t>(j)];
      if (a == 0.0f) continue;  // so that 0 * inf behaves as in the sparse references
      sum += static_cast<double>(w[static_cast<std::size_t>(i * cols + j)]) * static_cast<double>(a);
    }
    y[static_cast<std::size_t>(i)] = sum;
  }
  return y;
}

}  // namespace eie
