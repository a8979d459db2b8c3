// A fluent tester for the engine (XNNPACK style): EngineTester().rows(100).cols(30).batch(7).threads(3)
// .kernel(KernelIsa::avx2).test() builds a random layer and input, runs the engine and checks every output
// against core's reference within the kernels' documented error bound (docs/engine.md):
//   |y - reference| <= (n + 2) * 2^-24 * (sum_k |w_k x_k| + |bias|) + tiny,  n = the row's stored entries,
// the standard bound for fp32 summation of n products in any order (fused or not), exact on the reference's
// double side.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/test_util.h"
#include "eie/engine.h"

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

inline std::vector<std::int64_t> row_entries(const CompressedLayer& layer) {
  std::vector<std::int64_t> n(static_cast<std::size_t>(layer.rows), 0);
  for (std::uint32_t r : layer.row_idx) ++n[r];
  return n;
}

// Checks y (batch x rows) against the reference for inputs x (batch x cols); relu applied when asked.
inline void expect_matches_reference(const CompressedLayer& layer, std::span<const float> x, std::span<const float> y,
                                     std::int64_t batch, bool relu) {
  const std::vector<std::int64_t> n = row_entries(layer);
  for (std::int64_t b = 0; b < batch; ++b) {
    const auto xb = x.subspan(static_cast<std::size_t>(b * layer.cols), static_cast<std::size_t>(layer.cols));
    const std::vector<double> ref = reference_spmv(layer, xb);
    const std::vector<double> mag = magnitude(layer, xb);
    for (std::int64_t r = 0; r < layer.rows; ++r) {
      double expected = ref[static_cast<std::size_t>(r)];
      if (relu && expected < 0) expected = 0;
      const double got = y[static_cast<std::size_t>(b * layer.rows + r)];
      const double bound = static_cast<double>(n[static_cast<std::size_t>(r)] + 2) * std::ldexp(1.0, -24) *
                               mag[static_cast<std::size_t>(r)] + 1e-30;
      ASSERT_LE(std::fabs(got - expected), bound) << "batch element " << b << " row " << r << " of " << layer.rows
                                                  << " (" << n[static_cast<std::size_t>(r)] << " entries)";
    }
  }
}

class EngineTester {
 public:
  EngineTester& rows(std::int64_t v) { layer_.rows(v); return *this; }
  EngineTester& cols(std::int64_t v) { layer_.cols(v); cols_ = v; return *this; }
  EngineTester& density(double v) { layer_.density(v); return *this; }
  EngineTester& bits(int v) { layer_.bits(v); return *this; }
  EngineTester& bias(bool v) { layer_.bias(v); return *this; }
  EngineTester& activation_density(double v) { activation_density_ = v; return *this; }
  EngineTester& batch(std::int64_t v) { batch_ = v; return *this; }
  EngineTester& threads(int v) { threads_ = v; return *this; }
  EngineTester& kernel(KernelIsa v) { kernel_ = v; return *this; }
  EngineTester& relu(bool v) { relu_ = v; return *this; }

  std::string describe() const {
    return layer_.describe() + " batch " + std::to_string(batch_) + " threads " + std::to_string(threads_) +
           " kernel " + kernel_isa_name(kernel_) + " act density " + std::to_string(activation_density_);
  }

  void test(std::uint64_t seed) const { test(layer_.build(seed), seed); }

  // Runs an already built layer (custom codebooks, hand-made edge cases).
  void test(const CompressedLayer& layer, std::uint64_t seed) const {
    SCOPED_TRACE(describe());
    EngineOptions options;
    options.threads = threads_;
    options.kernel = kernel_;
    options.output_activation = relu_ ? Activation::relu : Activation::none;
    options.max_batch = batch_;
    Engine engine({layer}, options);
    std::vector<float> x;
    for (std::int64_t b = 0; b < batch_; ++b) {
      const std::vector<float> xb = synthetic_activations(layer.cols, activation_density_, seed * 7919 + static_cast<std::uint64_t>(b));
      x.insert(x.end(), xb.begin(), xb.end());
    }
    std::vector<float> y(static_cast<std::size_t>(layer.rows * batch_), std::numeric_limits<float>::quiet_NaN());
    if (batch_ == 1) {
      engine.run(x, y);
    } else {
      engine.run_batch(x, y, batch_);
    }
    expect_matches_reference(layer, x, y, batch_, relu_);
  }

 private:
  LayerTester layer_;
  std::int64_t cols_ = 16;
  double activation_density_ = 0.5;
  std::int64_t batch_ = 1;
  int threads_ = 1;
  KernelIsa kernel_ = KernelIsa::automatic;
  bool relu_ = false;
};

// The kernels compiled into this binary that this CPU can run (scalar always).
inline std::vector<KernelIsa> available_kernels() {
  std::vector<KernelIsa> kernels;
  for (KernelIsa isa : {KernelIsa::scalar, KernelIsa::avx2, KernelIsa::avx512}) {
    if (kernel_isa_available(isa)) kernels.push_back(isa);
  }
  return kernels;
}

}  // namespace eie::test
