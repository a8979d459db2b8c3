// Shared by the GPU tests: a fixture that skips (with the reason) where no CUDA device can be used, as on CI,
// which builds the cuda module with nvcc but has no GPU; layers with a codebook of any size; and a fluent
// tester that runs the GPU engine on a random layer and checks every output against core's reference within
// the engines' error bound (common/reference_check.h).
#pragma once

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "common/reference_check.h"
#include "common/test_util.h"
#include "eie/cuda.h"

namespace eie::test {

class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string reason = cuda_unavailable_reason();
    if (!reason.empty()) GTEST_SKIP() << "no CUDA device: " << reason;
  }
};

// A layer whose codebook has exactly `entries` values (2..256): entry 0 the reserved zero, the others non-zero
// with alternating signs and growing magnitudes in (0.1, 1]; each element stored with probability `density`, its code uniform over 1..entries-1.
inline CompressedLayer layer_with_codebook(std::int64_t rows, std::int64_t cols, double density, int entries,
                                           bool bias, std::uint64_t seed) {
  int bits = 1;
  while ((1 << bits) < entries) ++bits;
  std::vector<float> values(static_cast<std::size_t>(entries), 0.0f);
  for (int k = 1; k < entries; ++k) {
    const float magnitude = 0.1f + 0.9f * static_cast<float>(k) / static_cast<float>(entries);
    values[static_cast<std::size_t>(k)] = k % 2 == 1 ? magnitude : -magnitude;
  }
  Rng rng(seed);
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * cols), 0);
  for (auto& c : codes) {
    if (rng.uniform() < density) c = static_cast<std::uint8_t>(1 + rng.below(static_cast<std::uint64_t>(entries - 1)));
  }
  std::vector<float> b;
  if (bias) {
    for (std::int64_t r = 0; r < rows; ++r) b.push_back(static_cast<float>(rng.uniform() - 0.5));
  }
  CompressedLayer layer = CompressedLayer::from_codes(rows, cols, codes, Codebook(values, bits, true), b);
  layer.name = "cb" + std::to_string(entries);
  return layer;
}

// Inputs for `batch` elements, one after another, each with its own seed.
inline std::vector<float> batch_inputs(std::int64_t cols, std::int64_t batch, double density, std::uint64_t seed) {
  std::vector<float> x;
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::vector<float> xb = synthetic_activations(cols, density, seed * 7919 + static_cast<std::uint64_t>(b));
    x.insert(x.end(), xb.begin(), xb.end());
  }
  return x;
}

// CudaEngineTester().rows(100).cols(30).density(0.1).batches({1, 7, 64}).test(seed): one engine, planned for
// the largest batch, run at every batch in the order given (so that the batch held on the device changes).
class CudaEngineTester {
 public:
  CudaEngineTester& rows(std::int64_t v) { layer_.rows(v); return *this; }
  CudaEngineTester& cols(std::int64_t v) { layer_.cols(v); return *this; }
  CudaEngineTester& density(double v) { layer_.density(v); return *this; }
  CudaEngineTester& bits(int v) { layer_.bits(v); return *this; }
  CudaEngineTester& bias(bool v) { layer_.bias(v); return *this; }
  CudaEngineTester& activation_density(double v) { activation_density_ = v; return *this; }
  CudaEngineTester& batches(std::vector<std::int64_t> v) { batches_ = std::move(v); return *this; }
  CudaEngineTester& relu(bool v) { relu_ = v; return *this; }
  CudaEngineTester& graph(bool v) { graph_ = v; return *this; }

  void test(std::uint64_t seed) const { test(layer_.build(seed), seed); }

  void test(const CompressedLayer& layer, std::uint64_t seed) const {
    std::int64_t max_batch = 1;
    for (std::int64_t b : batches_) max_batch = std::max(max_batch, b);
    CudaEngine engine({layer}, CudaEngineOptions{.output_activation = relu_ ? Activation::relu : Activation::none,
                                                 .max_batch = max_batch, .use_graph = graph_});
    for (std::int64_t batch : batches_) {
      SCOPED_TRACE(std::to_string(layer.rows) + "x" + std::to_string(layer.cols) + " entries " +
                   std::to_string(layer.nnz()) + " codebook " + std::to_string(layer.codebook.size()) + " batch " +
                   std::to_string(batch) + " act density " + std::to_string(activation_density_) +
                   (graph_ ? " graph" : " direct launches"));
      const std::vector<float> x = batch_inputs(layer.cols, batch, activation_density_, seed);
      std::vector<float> y(static_cast<std::size_t>(layer.rows * batch), std::numeric_limits<float>::quiet_NaN());
      if (batch == 1) {
        engine.run(x, y);
      } else {
        engine.run_batch(x, y, batch);
      }
      expect_matches_reference(layer, x, y, batch, relu_);
    }
  }

 private:
  LayerTester layer_;
  double activation_density_ = 0.5;
  std::vector<std::int64_t> batches_{1};
  bool relu_ = false;
  bool graph_ = true;
};

}  // namespace eie::test
