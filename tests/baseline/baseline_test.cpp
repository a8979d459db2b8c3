// The baselines compute the same y = W x + bias as core's reference.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "eie/baseline.h"

namespace eie::test {
namespace {

void expect_near_reference(const CompressedLayer& layer, const std::vector<float>& x, const std::vector<float>& y,
                           std::int64_t batch) {
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::vector<float> xb(x.begin() + b * layer.cols, x.begin() + (b + 1) * layer.cols);
    const std::vector<double> ref = reference_spmv(layer, xb);
    const std::vector<double> got(y.begin() + b * layer.rows, y.begin() + (b + 1) * layer.rows);
    EXPECT_LT(max_relative_error(got, ref), 1e-4);
  }
}

TEST(Baseline, dense_and_csr_match_reference_batch_1_and_batch) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  set_baseline_threads(2);
  for (int trial = 0; trial < 6; ++trial) {
    const CompressedLayer layer = LayerTester().rows(1 + rng.below(80)).cols(1 + rng.below(80)).density(rng.uniform())
                                      .bias(trial % 2 == 0).build(rng.next());
    const DenseBaseline dense(layer);
    const CsrBaseline csr(layer);
    for (std::int64_t batch : {1, 7}) {
      std::vector<float> x;
      for (std::int64_t b = 0; b < batch; ++b) {
        const auto xb = synthetic_activations(layer.cols, 0.5, rng.next());
        x.insert(x.end(), xb.begin(), xb.end());
      }
      std::vector<float> y(static_cast<std::size_t>(layer.rows * batch));
      if (batch == 1) dense.run(x, y); else dense.run_batch(x, y, batch);
      expect_near_reference(layer, x, y, batch);
      std::fill(y.begin(), y.end(), 0.0f);
      if (batch == 1) csr.run(x, y); else csr.run_batch(x, y, batch);
      expect_near_reference(layer, x, y, batch);
    }
  }
}

TEST(Baseline, sizes_are_reported) {
  const CompressedLayer layer = LayerTester().rows(10).cols(20).density(0.5).build(1);
  EXPECT_EQ(DenseBaseline(layer).bytes(), 10 * 20 * 4);
  EXPECT_EQ(CsrBaseline(layer).bytes(), layer.nnz() * 8 + 11 * 4);
}

TEST(Baseline, wrong_sizes_and_threads) {
  const CompressedLayer layer = LayerTester().rows(10).cols(20).build(1);
  std::vector<float> x(19), y(10);
  expect_error([&] { DenseBaseline(layer).run(x, y); }, {"dense baseline", "input x has 19 floats", "expected 20"});
  expect_error([&] { CsrBaseline(layer).run(x, y); }, {"CSR baseline", "input x has 19 floats"});
  expect_error([] { set_baseline_threads(0); }, {"threads = 0"});
}

}  // namespace
}  // namespace eie::test
