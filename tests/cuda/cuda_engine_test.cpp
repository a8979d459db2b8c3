// The GPU engine against core's reference: random layers, densities, batch sizes 1..256, codebooks of 2 to
// 256 entries, edge cases, chains, with and without the CUDA Graph. Skipped where there is no GPU, except the
// argument checks that come before any CUDA call.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cuda_test_util.h"

namespace eie::test {
namespace {

class CudaEngineTest : public CudaTest {};

TEST_F(CudaEngineTest, random_sweep_shapes_densities_batches) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int i = 0; i < 24; ++i) {
    const auto rows = static_cast<std::int64_t>(1 + rng.below(700));
    const auto cols = static_cast<std::int64_t>(1 + rng.below(900));
    CudaEngineTester()
        .rows(rows)
        .cols(cols)
        .density(rng.uniform() * (i % 3 == 0 ? 1.0 : 0.2))
        .bits(1 + static_cast<int>(rng.below(8)))
        .bias(i % 2 == 0)
        .activation_density(rng.uniform())
        .batches({1, 2, 64, 65, 7, 1, 130})
        .graph(i % 4 != 3)
        .test(seed() + static_cast<std::uint64_t>(i));
  }
}

TEST_F(CudaEngineTest, codebook_sizes_2_3_16_17_256) {
  SCOPED_TRACE(seed_trace());
  for (int entries : {2, 3, 16, 17, 256}) {
    CudaEngineTester().batches({1, 5, 64}).activation_density(0.6).test(
        layer_with_codebook(150, 333, 0.15, entries, true, seed() + static_cast<std::uint64_t>(entries)), seed());
  }
}

TEST_F(CudaEngineTest, every_batch_size_boundary_up_to_256) {
  SCOPED_TRACE(seed_trace());
  CudaEngineTester()
      .rows(97)
      .cols(300)
      .density(0.2)
      .batches({1, 2, 3, 4, 5, 8, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 192, 193, 255, 256, 2})
      .test(seed());
}

TEST_F(CudaEngineTest, all_zero_activations) {
  SCOPED_TRACE(seed_trace());
  for (bool graph : {true, false}) {
    CudaEngineTester().rows(70).cols(260).density(0.3).activation_density(0.0).batches({1, 9}).graph(graph).test(seed());
  }
}

TEST_F(CudaEngineTest, empty_layer_no_entries) {
  SCOPED_TRACE(seed_trace());
  CudaEngineTester().rows(40).cols(20).density(0.0).bias(true).batches({1, 4}).test(seed());
}

TEST_F(CudaEngineTest, empty_rows_and_columns) {
  SCOPED_TRACE(seed_trace());
  CudaEngineTester().rows(300).cols(257).density(0.005).batches({1, 5, 70}).test(seed());
}

TEST_F(CudaEngineTest, one_by_one_single_row_single_column) {
  SCOPED_TRACE(seed_trace());
  CudaEngineTester().rows(1).cols(1).density(1.0).activation_density(1.0).batches({1, 3}).test(seed());
  CudaEngineTester().rows(1).cols(333).density(0.5).batches({1, 3}).test(seed());
  CudaEngineTester().rows(333).cols(1).density(0.5).activation_density(1.0).batches({1, 3}).test(seed());
}

TEST_F(CudaEngineTest, widths_not_multiples_of_32_or_128) {
  SCOPED_TRACE(seed_trace());
  for (std::int64_t n : {31, 33, 127, 129, 255, 1000}) {
    CudaEngineTester().rows(n).cols(n + 2).density(0.3).batches({1, 33}).test(seed() + static_cast<std::uint64_t>(n));
  }
}

TEST_F(CudaEngineTest, full_density_weights_and_activations) {
  SCOPED_TRACE(seed_trace());
  CudaEngineTester().rows(64).cols(200).density(1.0).activation_density(1.0).batches({1, 64}).test(seed());
}

TEST_F(CudaEngineTest, relu_output) {
  SCOPED_TRACE(seed_trace());
  for (bool graph : {true, false}) {
    CudaEngineTester().rows(120).cols(90).density(0.4).relu(true).batches({1, 17}).graph(graph).test(seed());
  }
}

TEST_F(CudaEngineTest, paper_sized_layer_alex8) {
  SCOPED_TRACE(seed_trace());
  const PaperLayer& alex8 = paper_benchmark_layer("Alex-8");
  CudaEngineTester().activation_density(alex8.activation_density).batches({1, 64}).test(paper_layer_weights(alex8, seed()),
                                                                                         seed());
}

TEST_F(CudaEngineTest, chain_with_relu_between_layers_matches_reference) {
  SCOPED_TRACE(seed_trace());
  const auto make = [](std::int64_t rows, std::int64_t cols, int bits, std::uint64_t s, const char* name) {
    return synthetic_layer({.name = name, .rows = rows, .cols = cols, .density = 0.3, .bits = bits, .bias = true, .seed = s});
  };
  const std::vector<CompressedLayer> layers = {make(37, 29, 4, seed(), "a"), make(300, 37, 8, seed() + 1, "b"),
                                               make(50, 300, 2, seed() + 2, "c"), make(9, 50, 5, seed() + 3, "d")};
  for (bool graph : {true, false}) {
    CudaEngine engine(layers, CudaEngineOptions{.max_batch = 70, .use_graph = graph});
    EXPECT_EQ(engine.input_size(), 29);
    EXPECT_EQ(engine.output_size(), 9);
    for (std::int64_t batch : {1, 3, 70, 1}) {
      SCOPED_TRACE("batch " + std::to_string(batch) + (graph ? " graph" : " direct launches"));
      const std::vector<float> xs = batch_inputs(29, batch, 0.7, seed());
      std::vector<float> y(static_cast<std::size_t>(9 * batch));
      engine.run_batch(xs, y, batch);
      for (std::int64_t b = 0; b < batch; ++b) {
        std::vector<float> h(xs.begin() + b * 29, xs.begin() + (b + 1) * 29);
        std::vector<double> out;
        for (std::size_t i = 0; i < layers.size(); ++i) {
          out = reference_spmv(layers[i], h);
          if (i + 1 < layers.size()) {
            h.assign(out.size(), 0.0f);
            for (std::size_t r = 0; r < out.size(); ++r) h[r] = static_cast<float>(std::max(0.0, out[r]));
          }
        }
        for (std::size_t r = 0; r < out.size(); ++r) {
          EXPECT_NEAR(y[static_cast<std::size_t>(b) * 9 + r], out[r], 1e-4 * std::max(1.0, std::fabs(out[r])))
              << "batch element " << b << " row " << r;
        }
      }
    }
  }
}

TEST_F(CudaEngineTest, nan_and_inf_inputs_propagate) {
  SCOPED_TRACE(seed_trace());
  const CompressedLayer layer = LayerTester().rows(50).cols(40).density(0.3).build(seed());
  for (std::int64_t batch : {1, 2}) {
    CudaEngine engine({layer}, CudaEngineOptions{.max_batch = 2});
    std::vector<float> x = batch_inputs(40, batch, 0.5, seed());
    x[3] = std::numeric_limits<float>::quiet_NaN();
    x[11] = std::numeric_limits<float>::infinity();
    std::vector<float> y(static_cast<std::size_t>(50 * batch));
    engine.run_batch(x, y, batch);
    const std::vector<double> ref = reference_spmv(layer, std::span<const float>(x).first(40));
    for (std::size_t r = 0; r < ref.size(); ++r) {
      if (std::isnan(ref[r])) {
        EXPECT_TRUE(std::isnan(y[r])) << "row " << r;
      } else if (std::isinf(ref[r])) {
        EXPECT_EQ(y[r], ref[r]) << "row " << r;
      } else {
        EXPECT_NEAR(y[r], ref[r], 1e-4 * std::max(1.0, std::fabs(ref[r]))) << "row " << r;
      }
    }
  }
}

TEST_F(CudaEngineTest, plan_info_names_the_kernels_and_counts_bytes) {
  const CompressedLayer layer = LayerTester().rows(100).cols(300).density(0.1).build(seed());
  CudaEngine engine({layer}, CudaEngineOptions{.max_batch = 8});
  const std::vector<CudaLayerPlanInfo> info = engine.plan_info();
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].entries, layer.nnz());
  EXPECT_NE(info[0].kernel.find("spmv_csc32_scatter__cuda"), std::string::npos);
  EXPECT_NE(info[0].kernel.find("spmm_pcsr16_p128_b64__cuda"), std::string::npos);
  // batch 1: 4 bytes per entry + column pointers; batch > 1: 2 bytes per entry + (row, panel) pointers.
  EXPECT_EQ(info[0].resident_bytes, layer.nnz() * 6 + 301 * 4 + (100 * 3 + 1) * 4 + 256 * 4 + 100 * 4);
  EXPECT_EQ(engine.device_bytes(), info[0].resident_bytes);
  CudaEngine single({layer}, CudaEngineOptions{.max_batch = 1});
  EXPECT_EQ(single.plan_info()[0].kernel, "spmv_csc32_scatter__cuda");
}

TEST_F(CudaEngineTest, wrong_input_output_and_batch) {
  const CompressedLayer layer = LayerTester().rows(10).cols(20).build(seed());
  CudaEngine engine({layer}, CudaEngineOptions{.max_batch = 4});
  std::vector<float> x(20), y(10), small(19);
  expect_error([&] { engine.run(small, y); }, {"input x has 19 floats, expected 20"});
  expect_error([&] { engine.run(x, std::span<float>(small).first(9)); }, {"output y has 9 floats, expected 10"});
  std::vector<float> x5(100), y5(50);
  expect_error([&] { engine.run_batch(x5, y5, 5); }, {"batch = 5 is outside 1..4"});
  expect_error([&] { engine.run_batch(x, y, 0); }, {"batch = 0 is outside 1..4"});
  engine.run(x, y);  // still usable after the errors
}

// Checked before any CUDA call, so these run everywhere.
TEST(CudaEngineArguments, bad_chains_and_options) {
  expect_error([] { CudaEngine(std::vector<CompressedLayer>{}); }, {"cuda engine", "chain is empty"});
  const CompressedLayer a = LayerTester().rows(10).cols(20).build(1);
  const CompressedLayer b = LayerTester().rows(5).cols(11).build(2);
  expect_error([&] { CudaEngine({a, b}); }, {"layer 1", "takes 11 inputs", "gives 10"});
  expect_error([&] { CudaEngine({a}, CudaEngineOptions{.max_batch = 0}); }, {"max_batch = 0 is outside 1..65536"});
  CompressedLayer broken = a;
  broken.codes.pop_back();
  EXPECT_THROW(CudaEngine({broken}), Error);
}

// Without a device every entry point fails with one line naming the call; with one, the check finds it.
TEST(CudaEngineArguments, no_device_is_one_line_naming_the_call) {
  const std::string reason = cuda_unavailable_reason();
  if (reason.empty()) {
    EXPECT_FALSE(cuda_device_info().name.empty());
    return;
  }
  EXPECT_NE(reason.find("cudaGetDeviceCount"), std::string::npos) << reason;
  const CompressedLayer a = LayerTester().rows(10).cols(20).build(1);
  expect_error([&] { CudaEngine({a}); }, {"cudaGetDeviceCount: "});
  expect_error([&] { CublasDense(a, CublasPrecision::fp32); }, {"cudaGetDeviceCount: "});
  expect_error([&] { const CusparseCsr csr(a); }, {"cudaGetDeviceCount: "});
  expect_error([] { cuda_device_info(); }, {"cudaGetDeviceCount: "});
}

}  // namespace
}  // namespace eie::test
