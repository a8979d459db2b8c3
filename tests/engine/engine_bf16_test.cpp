// EngineOptions::precision bf16: the sell16x2 kernel against core's reference within its bound (operands rounded
// to bf16, products summed in fp32), over random shapes, threads, batches and the edge cases of DESIGN.md; which
// layers it takes; NaN and Inf; the options it refuses. Skipped where the CPU lacks AVX-512 BF16.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <span>

#include "engine/engine_tester.h"

namespace eie::test {
namespace {

#define SKIP_WITHOUT_BF16()                                                                   \
  if (!precision_available(Precision::bf16)) GTEST_SKIP() << "this CPU lacks AVX-512 BF16"

EngineTester bf16() { return EngineTester().precision(Precision::bf16).kernel(KernelIsa::avx512); }

TEST(EngineBf16, random_sweep_threads_batches) {
  SKIP_WITHOUT_BF16();
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int threads = 1; threads <= 4; ++threads) {
    for (std::int64_t batch : {1, 2, 5, 8, 16, 19, 20, 64}) {
      for (int trial = 0; trial < 3; ++trial) {
        const auto rows = static_cast<std::int64_t>(1 + rng.below(90));
        const auto cols = static_cast<std::int64_t>(1 + rng.below(trial == 2 ? 3000 : 120));
        bf16().rows(rows).cols(cols).density(rng.uniform()).bits(static_cast<int>(1 + rng.below(8)))
            .bias(rng.below(2) == 1).activation_density(rng.uniform()).batch(batch).threads(threads)
            .relu(rng.below(2) == 1).test(rng.next());
      }
    }
  }
}

TEST(EngineBf16, paper_like_layers_split_over_threads) {
  SKIP_WITHOUT_BF16();
  SCOPED_TRACE(seed_trace());
  for (int threads = 2; threads <= 4; ++threads) {
    bf16().rows(1000).cols(1500).density(0.09).activation_density(0.35).threads(threads).test(seed() + threads);
    bf16().rows(700).cols(2100).density(0.04).bias(true).relu(true).threads(threads).test(seed() + 10 * threads);
  }
}

// sell16x2 takes codebooks of up to 64 entries that leave a padding code (a reserved zero, or fewer entries than
// the table of 16, 32 or 64 holds); the others keep fp32 sell16 (or csr16 above 64 entries) and are just as correct.
TEST(EngineBf16, which_layers_take_sell16x2) {
  SKIP_WITHOUT_BF16();
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  const std::int64_t rows = 37, cols = 61;
  const auto layer_with = [&](std::vector<float> values, int bits, bool zero_reserved) {
    std::vector<std::uint8_t> codes(rows * cols);
    for (auto& c : codes) c = static_cast<std::uint8_t>(rng.below(values.size()));
    if (zero_reserved) {
      for (auto& c : codes) c = static_cast<std::uint8_t>(1 + rng.below(values.size() - 1));
    }
    return CompressedLayer::from_codes(rows, cols, codes, Codebook(std::move(values), bits, zero_reserved));
  };
  const auto values = [](int n) {
    std::vector<float> v;
    for (int k = 0; k < n; ++k) v.push_back(static_cast<float>(k) * 0.07f - 0.75f);
    return v;
  };
  const std::vector<float> sixteen = values(16), seven = values(7);
  std::vector<float> reserved = sixteen;
  reserved[0] = 0.0f;
  struct Case {
    CompressedLayer layer;
    const char* kernel;
  };
  const Case cases[] = {
      {layer_with(reserved, 4, true), "spmv_sell16x2_cb16__avx512bf16"},
      {layer_with(seven, 3, false), "spmv_sell16x2_cb16__avx512bf16"},  // padding code 7
      {layer_with({0.0f, 0.71f, -1.3f}, 2, true), "spmv_sell16x2_cb16__avx512bf16"},  // ternary
      {layer_with(sixteen, 4, false), "spmv_sell16_cb16__avx512"},     // every code stored: no padding code
      {layer_with(values(20), 5, false), "spmv_sell16x2_cb32__avx512bf16"},  // padding code 20: a plane bit
      {layer_with(values(32), 5, false), "spmv_sell16_cb32__avx512"},
      {layer_with(values(50), 6, false), "spmv_sell16x2_cb64__avx512bf16"},  // padding code 50: both planes
      {layer_with(values(64), 6, false), "spmv_sell16_cb64__avx512"},
  };
  for (const Case& c : cases) {
    const Engine engine({c.layer}, EngineOptions{.threads = 2, .kernel = KernelIsa::avx512, .precision = Precision::bf16});
    EXPECT_EQ(engine.plan_info()[0].kernel, c.kernel);
    for (std::int64_t batch : {1, 7, 20}) bf16().batch(batch).threads(2).bias(true).test(c.layer, seed() + batch);
  }
  for (int bits : {4, 5, 6, 7}) {
    const Engine engine({synthetic_layer({.rows = 40, .cols = 50, .density = 0.3, .bits = bits, .seed = seed()})},
                        EngineOptions{.kernel = KernelIsa::avx512, .precision = Precision::bf16});
    const LayerPlanInfo info = engine.plan_info()[0];
    const std::string entries = std::to_string(16 << (bits - 4));
    EXPECT_EQ(info.kernel, bits == 7 ? "spmv_csr16_cb256__avx512" : "spmv_sell16x2_cb" + entries + "__avx512bf16");
    EXPECT_EQ(info.batch_kernel, bits == 7 ? "spmm_tcsr_cb256__avx512" : "spmm_tcsrx2_cb" + entries + "__avx512bf16");
  }
}

// tcsrx2's pairs: rows with odd and even entry counts in panels of 256 columns, batches that end inside a
// 16- and a 32-element vector, over 64 (two chunks), and accumulation across panels.
TEST(EngineBf16, tcsrx2_pairs_panels_and_batch_tails) {
  SKIP_WITHOUT_BF16();
  SCOPED_TRACE(seed_trace());
  for (std::int64_t batch : {20, 31, 33, 64, 65, 130}) {
    bf16().rows(45).cols(700).density(0.1).bits(4).bias(true).relu(true).batch(batch).threads(2).test(seed() + batch);
    bf16().rows(23).cols(300).density(0.5).bits(6).batch(batch).threads(3).test(seed() + 7 * batch);
  }
}

TEST(EngineBf16, edge_cases) {
  SKIP_WITHOUT_BF16();
  SCOPED_TRACE(seed_trace());
  for (std::int64_t batch : {1, 6}) {
    bf16().rows(50).cols(60).density(0.2).activation_density(0.0).batch(batch).threads(2).test(seed());
    bf16().rows(30).cols(20).density(0.0).bias(true).batch(batch).threads(4).test(seed());
    bf16().rows(300).cols(200).density(0.01).batch(batch).threads(3).test(seed());
    bf16().rows(37).cols(41).density(1.0).activation_density(1.0).batch(batch).threads(2).test(seed());
    bf16().rows(1).cols(333).density(0.5).batch(batch).threads(4).test(seed());
    bf16().rows(333).cols(1).density(0.5).batch(batch).threads(4).test(seed());
    bf16().rows(3).cols(40).density(0.5).batch(batch).threads(4).test(seed());
  }
}

// Windows that start at any column (up to 65,551 columns) and whole panels beyond: the bf16 copy of the input
// is zero past its end, so the last windows read zeros there.
TEST(EngineBf16, windows_at_the_edges_of_wide_inputs) {
  SKIP_WITHOUT_BF16();
  SCOPED_TRACE(seed_trace());
  for (std::int64_t cols : {15, 16, 17, 65551, 65552, 65570}) {
    for (std::int64_t batch : {1, 3}) bf16().rows(20).cols(cols).density(0.03).bias(true).batch(batch).threads(2).test(seed() + cols);
  }
}

// NaN and Inf reach exactly the rows the reference sends them to: padding lanes, whose weight is 0, never read an
// activation when the input is not finite, neither in sell16x2 (batch 1, 3) nor in tcsrx2's pairs (25, 40).
// A 16-, 32- and 64-entry codebook: no code plane, one, two.
TEST(EngineBf16, nan_and_inf_inputs_propagate) {
  SKIP_WITHOUT_BF16();
  const std::int64_t rows = 70, cols = 53;
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (int bits : {4, 5, 6}) {
    const CompressedLayer layer = synthetic_layer(
        {.name = "fc", .rows = rows, .cols = cols, .density = 0.3, .bits = bits, .bias = true, .seed = seed()});
    Engine engine({layer}, EngineOptions{.threads = 2, .kernel = KernelIsa::avx512, .max_batch = 40, .precision = Precision::bf16});
    for (std::int64_t batch : {1, 3, 25, 40}) {
      for (std::int64_t col : {0, 16, 52}) {
        for (float bad : {nan, inf, -inf}) {
          SCOPED_TRACE(std::to_string(bits) + " bits, batch " + std::to_string(batch) + ", x[" + std::to_string(col) +
                       "] = " + std::to_string(bad));
          std::vector<float> x(static_cast<std::size_t>(cols * batch), 0.5f);
          const std::int64_t last = batch - 1;
          x[static_cast<std::size_t>(last * cols + col)] = bad;
          std::vector<float> y(static_cast<std::size_t>(rows * batch));
          engine.run_batch(x, y, batch);
          const std::vector<double> ref =
              reference_spmv(layer, std::span(x).subspan(static_cast<std::size_t>(last * cols)));
          for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
            const float got = y[static_cast<std::size_t>(last * rows) + r];
            EXPECT_EQ(std::isnan(got), std::isnan(ref[r])) << "row " << r;
            if (std::isinf(ref[r])) {
              EXPECT_EQ(got, ref[r]) << "row " << r;
            }
          }
          for (std::size_t i = 0; i < static_cast<std::size_t>(last * rows); ++i) ASSERT_TRUE(std::isfinite(y[i]));
        }
      }
    }
  }
}

TEST(EngineBf16, refused_options) {
  const CompressedLayer layer = synthetic_layer({.rows = 10, .cols = 8, .density = 0.5, .bits = 4, .seed = 1});
  EXPECT_EQ(parse_precision("bf16"), Precision::bf16);
  expect_error([] { parse_precision("fp16"); }, {"precision 'fp16'", "fp32, bf16"});
  if (!precision_available(Precision::bf16)) {
    expect_error([&] { Engine({layer}, EngineOptions{.precision = Precision::bf16}); }, {"precision 'bf16'", "BF16"});
    return;
  }
  // The portable kernels run bf16 too (precision_runs_on); AVX2's do not.
  EXPECT_NO_THROW(Engine({layer}, EngineOptions{.kernel = KernelIsa::scalar, .precision = Precision::bf16}));
  if (kernel_isa_available(KernelIsa::avx2)) {
    expect_error([&] { Engine({layer}, EngineOptions{.kernel = KernelIsa::avx2, .precision = Precision::bf16}); },
                 {"precision 'bf16'", "'avx2'"});
  }
}

}  // namespace
}  // namespace eie::test
