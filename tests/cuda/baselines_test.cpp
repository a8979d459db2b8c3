// The GPU baselines (cuBLAS fp32 and fp16, cuSPARSE CSR) against core's reference, and the event timing
// harness. The baselines compute W x without the bias. Skipped where there is no GPU.
#include <gtest/gtest.h>

#include <cmath>

#include "cuda_test_util.h"

namespace eie::test {
namespace {

class CudaBaselines : public CudaTest {};

// |y - reference| <= ((terms + 2) * 2^-24 + extra) * sum_k |w_k x_k| + absolute: `terms` additions in fp32
// in any order, `extra` for rounding the inputs (fp16: 2^-10 for the product of two rounded values).
void expect_close(const CompressedLayer& layer, std::span<const float> x, std::span<const float> y, std::int64_t batch,
                  std::int64_t terms, double extra, double absolute) {
  CompressedLayer no_bias = layer;
  no_bias.bias.clear();
  for (std::int64_t b = 0; b < batch; ++b) {
    const auto xb = x.subspan(static_cast<std::size_t>(b * layer.cols), static_cast<std::size_t>(layer.cols));
    const std::vector<double> ref = reference_spmv(no_bias, xb);
    const std::vector<double> mag = magnitude(no_bias, xb);
    for (std::size_t r = 0; r < ref.size(); ++r) {
      const double bound = (static_cast<double>(terms + 2) * std::ldexp(1.0, -24) + extra) * mag[r] + absolute;
      ASSERT_LE(std::fabs(y[static_cast<std::size_t>(b) * ref.size() + r] - ref[r]), bound)
          << "batch element " << b << " row " << r;
    }
  }
}

TEST_F(CudaBaselines, cublas_fp32_fp16_and_cusparse_match_the_reference) {
  SCOPED_TRACE(seed_trace());
  for (const auto& [rows, cols, density] : {std::tuple{300, 200, 0.1}, std::tuple{33, 1000, 0.5}, std::tuple{1, 1, 1.0},
                                            std::tuple{64, 100, 0.0}}) {
    const CompressedLayer layer = LayerTester().rows(rows).cols(cols).density(density).bias(false).build(seed());
    CublasDense fp32(layer, CublasPrecision::fp32, 64);
    CublasDense fp16(layer, CublasPrecision::fp16, 64);
    CusparseCsr csr(layer, 64);
    EXPECT_EQ(fp32.device_bytes(), rows * cols * 4);
    EXPECT_EQ(fp16.device_bytes(), rows * cols * 2);
    for (std::int64_t batch : {1, 3, 64, 2}) {
      SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols) + " batch " + std::to_string(batch));
      const std::vector<float> x = batch_inputs(cols, batch, 0.5, seed());
      std::vector<float> y(static_cast<std::size_t>(rows * batch));
      fp32.run_batch(x, y, batch);
      expect_close(layer, x, y, batch, cols, 0.0, 1e-30);
      fp16.run_batch(x, y, batch);
      expect_close(layer, x, y, batch, cols, std::ldexp(1.0, -10), 1e-6);  // 1e-6: inputs below fp16's normal range
      csr.run_batch(x, y, batch);
      expect_close(layer, x, y, batch, cols, 0.0, 1e-30);
    }
  }
}

TEST_F(CudaBaselines, bias_is_not_applied) {
  const CompressedLayer layer = LayerTester().rows(20).cols(30).density(0.3).bias(true).build(seed());
  CusparseCsr csr(layer, 1);
  const std::vector<float> x(30, 0.0f);
  std::vector<float> y(20, 1.0f);
  csr.run_batch(x, y, 1);
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

TEST_F(CudaBaselines, bad_sizes) {
  const CompressedLayer layer = LayerTester().rows(10).cols(20).build(seed());
  CublasDense dense(layer, CublasPrecision::fp32, 2);
  CusparseCsr csr(layer, 2);
  std::vector<float> x(20), y(10);
  expect_error([&] { dense.upload(std::span<const float>(x).first(19), 1); }, {"cublas", "19 floats"});
  expect_error([&] { csr.upload(x, 3); }, {"cusparse", "batch 3"});
  dense.upload(x, 1);
  dense.enqueue();
  expect_error([&] { dense.download(std::span<float>(y).first(9)); }, {"cublas: output y has 9 floats, expected 10"});
}

TEST_F(CudaBaselines, timing_reports_positive_medians_and_p99s) {
  const CompressedLayer layer = LayerTester().rows(256).cols(256).density(0.1).build(seed());
  CudaEngine engine({layer}, CudaEngineOptions{.max_batch = 1});
  engine.upload(synthetic_activations(256, 0.5, seed()), 1);
  const CudaTiming t = time_cuda_operation(engine, 0.02, 10, 8);
  EXPECT_GE(t.runs, 10);
  EXPECT_GT(t.median_us, 0.0);
  EXPECT_GE(t.p99_us, t.median_us);
  EXPECT_GE(t.back_to_back_samples, 3);
  EXPECT_GT(t.back_to_back_median_us, 0.0);
  EXPECT_EQ(t.group, 8);
}

TEST_F(CudaBaselines, device_info_and_clock) {
  const CudaDeviceInfo info = cuda_device_info();
  EXPECT_FALSE(info.name.empty());
  EXPECT_GT(info.multiprocessors, 0);
  EXPECT_GT(info.driver_version, 0);
  EXPECT_GT(measure_sm_clock_ghz(), 0.0);
}

}  // namespace
}  // namespace eie::test
