// Checks a kernel's outputs against core's reference within the engines' documented error bound
// (docs/engine.md), shared by the CPU engine's and the GPU engine's tests:
//   |y - reference| <= (n + 2) * 2^-24 * (sum_k |w_k x_k| + |bias|) + tiny,  n = the row's stored entries,
// the standard bound for fp32 summation of n products in any order (fused or not), exact on the reference's
// double side. Kernels that round their operands first (bf16 precision: unit roundoff u = 2^-8 for both the
// weight and the activation) add the products' own error, (2u + u^2) * sum_k |w_k x_k|, and sum the perturbed
// products: |y - reference| <= (2u + u^2 + (n + 2) * 2^-24 * (1 + 2u + u^2)) * (sum_k |w_k x_k| + |bias|) + tiny.
// int8 precision quantizes each input with its own step sx (max / 255 for inputs without negative values, else
// max |x| / 127) and the codebook with the step sw = max |w| / 127, rounding to nearest; its products and sums
// are exact in int32, so the error is the quantization's, q_r = sum_k (|w_k| sx / 2 + |x_k| sw / 2 + sw sx / 4),
// plus the fp32 bound above on the result: |y - reference| <= q_r + (n + 2) * 2^-24 * (sum_k |w_k x_k| + |bias| + q_r).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "eie/core.h"

namespace eie::test {

// sum_k |w_rk x_k| + |b_r| for every row: the scale of the rounding error.
inline std::vector<double> magnitude(const CompressedLayer& layer, std::span<const float> x) {
  std::vector<double> m(static_cast<std::size_t>(layer.rows), 0.0);
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    for (auto k = layer.col_ptr[static_cast<std::size_t>(j)]; k < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++k) {
      m[layer.row_idx[k]] += std::fabs(static_cast<double>(layer.codebook[layer.codes[k]]) * x[static_cast<std::size_t>(j)]);
    }
  }
  for (std::size_t r = 0; r < layer.bias.size(); ++r) m[r] += std::fabs(layer.bias[r]);
  return m;
}

// int8 precision's q_r for every row (the header above).
inline std::vector<double> int8_quantization_error(const CompressedLayer& layer, std::span<const float> x) {
  double low = 0, high = 0, largest_weight = 0;
  for (float v : x) {
    low = std::min(low, static_cast<double>(v));
    high = std::max(high, static_cast<double>(v));
  }
  for (float w : layer.codebook.values()) largest_weight = std::max(largest_weight, std::fabs(static_cast<double>(w)));
  const double sx = low < 0 ? std::max(high, -low) / 127 : high / 255, sw = largest_weight / 127;
  std::vector<double> q(static_cast<std::size_t>(layer.rows), 0.0);
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    for (auto k = layer.col_ptr[static_cast<std::size_t>(j)]; k < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++k) {
      const double w = std::fabs(static_cast<double>(layer.codebook[layer.codes[k]]));
      q[layer.row_idx[k]] += w * sx / 2 + std::fabs(static_cast<double>(x[static_cast<std::size_t>(j)])) * sw / 2 + sw * sx / 4;
    }
  }
  return q;
}

inline std::vector<std::int64_t> row_entries(const CompressedLayer& layer) {
  std::vector<std::int64_t> n(static_cast<std::size_t>(layer.rows), 0);
  for (std::uint32_t r : layer.row_idx) ++n[r];
  return n;
}

// Checks y (batch x rows) against the reference for inputs x (batch x cols); relu applied when asked.
inline void expect_matches_reference(const CompressedLayer& layer, std::span<const float> x, std::span<const float> y,
                                     std::int64_t batch, bool relu, double operand_rounding = 0.0,
                                     bool int8 = false) {
  const double products = 2 * operand_rounding + operand_rounding * operand_rounding;
  const std::vector<std::int64_t> n = row_entries(layer);
  for (std::int64_t b = 0; b < batch; ++b) {
    const auto xb = x.subspan(static_cast<std::size_t>(b * layer.cols), static_cast<std::size_t>(layer.cols));
    const std::vector<double> ref = reference_spmv(layer, xb);
    const std::vector<double> mag = magnitude(layer, xb);
    const std::vector<double> quantization = int8 ? int8_quantization_error(layer, xb) : std::vector<double>(mag.size(), 0.0);
    for (std::int64_t r = 0; r < layer.rows; ++r) {
      double expected = ref[static_cast<std::size_t>(r)];
      if (relu && expected < 0) expected = 0;
      const double got = y[static_cast<std::size_t>(b * layer.rows + r)];
      const double summation = static_cast<double>(n[static_cast<std::size_t>(r)] + 2) * std::ldexp(1.0, -24);
      const double q = quantization[static_cast<std::size_t>(r)];
      const double bound = (products + summation * (1 + products)) * mag[static_cast<std::size_t>(r)] + q * (1 + summation) + 1e-30;
      ASSERT_LE(std::fabs(got - expected), bound) << "batch element " << b << " row " << r << " of " << layer.rows
                                                  << " (" << n[static_cast<std::size_t>(r)] << " entries)";
    }
  }
}

}  // namespace eie::test
