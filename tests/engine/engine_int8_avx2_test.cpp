// EngineOptions::precision int8 on the avx2 kernels (sell16 in 8-bit arithmetic, spmv_sell16i8__avx2) against core's
// reference within the int8 bound that the AVX-512 int8 kernel is held to (common/reference_check.h), over random
// shapes, densities, codebook sizes, threads and batches, inputs with and without negative values, and the edge
// cases of DESIGN.md; which layers it takes; NaN and Inf; the same outputs as the portable kernel, and as the
// AVX-512 int8 kernel where this CPU has both. Skipped where the CPU lacks AVX2.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <span>

#include "engine/engine_tester.h"
#include "engine/int8_checks.h"
#include "engine/kernels/kernel.h"

namespace eie::test {
namespace {

#define SKIP_WITHOUT_AVX2() \
  if (!kernel_isa_available(KernelIsa::avx2)) GTEST_SKIP() << "this CPU lacks AVX2"

// tcsr_min_batch past every batch tested: the batch runs on sell16 in int8, not on tcsr (fp32).
EngineTester int8_avx2() {
  return EngineTester().precision(Precision::int8).kernel(KernelIsa::avx2).tcsr_min_batch(1000);
}

LayerPlanInfo plan_of(const CompressedLayer& layer, int threads = 1) {
  return Engine({layer}, EngineOptions{.threads = threads, .kernel = KernelIsa::avx2, .precision = Precision::int8})
      .plan_info()[0];
}

TEST(EngineInt8Avx2, random_sweep_threads_batches) {
  SKIP_WITHOUT_AVX2();
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int threads = 1; threads <= 4; ++threads) {
    for (std::int64_t batch : {1, 2, 5, 8, 9, 19}) {
      for (int trial = 0; trial < 3; ++trial) {
        const auto rows = static_cast<std::int64_t>(1 + rng.below(90));
        const auto cols = static_cast<std::int64_t>(1 + rng.below(trial == 2 ? 3000 : 120));
        int8_avx2().rows(rows).cols(cols).density(rng.uniform()).bits(static_cast<int>(1 + rng.below(5)))
            .bias(rng.below(2) == 1).activation_density(rng.uniform()).batch(batch).threads(threads)
            .relu(rng.below(2) == 1).signed_inputs(rng.below(2) == 1).test(rng.next());
      }
    }
  }
}

TEST(EngineInt8Avx2, paper_like_layers_split_over_threads) {
  SKIP_WITHOUT_AVX2();
  SCOPED_TRACE(seed_trace());
  for (int threads = 2; threads <= 4; ++threads) {
    int8_avx2().rows(1000).cols(1500).density(0.09).activation_density(0.35).threads(threads).test(seed() + threads);
    int8_avx2().rows(700).cols(2100).density(0.25).bias(true).relu(true).threads(threads).signed_inputs(true)
        .batch(3).test(seed() + 10 * threads);
  }
}

// Codebooks of at most 16 entries, inputs of at most 65,536 columns and layers dense enough for sell16 on AVX2
// take it; the others keep fp32 and are just as correct. Batches
// from batch_kernel_from on run tcsr in fp32.
TEST(EngineInt8Avx2, which_layers_take_sell16i8) {
  SKIP_WITHOUT_AVX2();
  SCOPED_TRACE(seed_trace());
  for (int bits : {1, 2, 3, 4, 5}) {
    const CompressedLayer layer =
        synthetic_layer({.rows = 40, .cols = 50, .density = 0.3, .bits = bits, .seed = seed()});
    const LayerPlanInfo info = plan_of(layer);
    EXPECT_EQ(info.kernel, bits <= 4 ? "spmv_sell16i8_cb16__avx2" : "spmv_csr16_cb32__avx2");
    EXPECT_EQ(info.batch_kernel, bits <= 4 ? "spmm_tcsr_cb16__avx2" : "spmm_tcsr_cb32__avx2");
    for (std::int64_t batch : {1, 7}) {
      int8_avx2().batch(batch).threads(2).bias(true).signed_inputs(batch == 7).test(layer, seed() + batch);
    }
    // The batch on tcsr, as the planner chooses it.
    int8_avx2().tcsr_min_batch(0).batch(20).threads(2).test(layer, seed());
  }
  const CompressedLayer wide = synthetic_layer({.rows = 5, .cols = 65537, .density = 0.2, .bits = 4, .seed = seed()});
  EXPECT_EQ(plan_of(wide).kernel.find("sell16i8"), std::string::npos) << plan_of(wide).kernel;
  int8_avx2().threads(2).test(wide, seed());
  // At 0.2% weights a tier of 16 rows x 16 columns holds ~0.5 entries: sell16's padding would not pay.
  const CompressedLayer sparse =
      synthetic_layer({.rows = 64, .cols = 3000, .density = 0.002, .bits = 4, .seed = seed()});
  EXPECT_EQ(plan_of(sparse).kernel, "spmv_csr16_cb16__avx2");
}

TEST(EngineInt8Avx2, edge_cases) {
  SKIP_WITHOUT_AVX2();
  SCOPED_TRACE(seed_trace());
  for (std::int64_t batch : {1, 6}) {
    for (bool negative : {false, true}) {
      const auto tester = [&] { return int8_avx2().batch(batch).signed_inputs(negative); };
      tester().rows(50).cols(60).density(0.2).activation_density(0.0).threads(2).test(seed());  // all-zero input
      tester().rows(30).cols(20).density(0.0).bias(true).threads(4).test(seed());              // empty rows
      tester().rows(300).cols(200).density(0.05).threads(3).test(seed());                      // many empty rows
      tester().rows(37).cols(41).density(1.0).activation_density(1.0).threads(2).test(seed());
      tester().rows(1).cols(333).density(0.5).threads(4).test(seed());
      tester().rows(333).cols(1).density(0.5).threads(4).test(seed());
      tester().rows(3).cols(40).density(0.5).threads(4).test(seed());
      tester().rows(17).cols(15).density(0.7).threads(1).test(seed());  // a window past the input
    }
  }
}

// Windows at the input's last columns, an odd number of tiers per slice, and rows whose entries lie 15 and 16
// columns apart (the window's last column, then the next window).
TEST(EngineInt8Avx2, windows_at_the_edges) {
  SKIP_WITHOUT_AVX2();
  SCOPED_TRACE(seed_trace());
  for (std::int64_t cols : {15, 16, 17, 31, 32, 33, 65536}) {
    for (std::int64_t batch : {1, 3}) {
      int8_avx2().rows(20).cols(cols).density(cols > 1000 ? 0.2 : 0.4).bias(true).batch(batch).threads(2)
          .test(seed() + cols);
    }
  }
  const std::int64_t rows = 3, cols = 200;
  std::vector<std::uint8_t> codes(rows * cols, 0);  // code 0 of a reserved zero: not stored
  for (std::int64_t c : {0, 15, 16, 31, 32, 199}) codes[static_cast<std::size_t>(c)] = 3;
  for (std::int64_t c = 0; c < cols; c += 16) codes[static_cast<std::size_t>(cols + c)] = 5;
  codes[static_cast<std::size_t>(2 * cols + cols - 1)] = 15;
  std::vector<float> values(16);
  for (int k = 1; k < 16; ++k) values[static_cast<std::size_t>(k)] = static_cast<float>(k) * 0.1f - 0.8f;
  const CompressedLayer layer = CompressedLayer::from_codes(rows, cols, codes, Codebook(values, 4, true));
  for (std::int64_t batch : {1, 2}) int8_avx2().batch(batch).signed_inputs(true).test(layer, seed());
}

// A codebook without a zero: the padding slots hold code 0, a real weight, and add nothing only because the stored
// masks zero their weights.
TEST(EngineInt8Avx2, padding_when_every_code_is_a_weight) {
  SKIP_WITHOUT_AVX2();
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int bits : {2, 4}) {
    const int entries = 1 << bits;
    std::vector<float> values(static_cast<std::size_t>(entries));
    for (int k = 0; k < entries; ++k) values[static_cast<std::size_t>(k)] = (static_cast<float>(k) - 1.5f) * 0.1f;
    const std::int64_t rows = 45, cols = 300;
    std::vector<float> dense(static_cast<std::size_t>(rows * cols), 0.0f);
    for (float& w : dense) w = rng.uniform() < 0.3 ? values[rng.below(values.size())] : 0.0f;
    const CompressedLayer layer = CompressedLayer::from_dense(rows, cols, dense, Codebook(values, bits, false));
    ASSERT_NE(layer.codebook[0], 0.0f);
    EXPECT_EQ(plan_of(layer, 2).kernel, "spmv_sell16i8_cb16__avx2");
    for (std::int64_t batch : {1, 3}) {
      for (bool negative : {false, true}) {
        int8_avx2().batch(batch).threads(2).signed_inputs(negative).activation_density(1.0).test(layer, seed());
      }
    }
  }
}

// The input's scale (int8_checks.h).
TEST(EngineInt8Avx2, input_scales) {
  SKIP_WITHOUT_AVX2();
  const CompressedLayer layer =
      synthetic_layer({.rows = 33, .cols = 70, .density = 0.4, .bits = 4, .bias = true, .seed = seed()});
  ASSERT_EQ(plan_of(layer, 2).kernel, "spmv_sell16i8_cb16__avx2");
  expect_int8_follows_the_input_scale(layer, KernelIsa::avx2);
}

// NaN and Inf (int8_checks.h) on sell16 in int8, with and without stored masks.
TEST(EngineInt8Avx2, nan_and_inf_inputs_propagate) {
  SKIP_WITHOUT_AVX2();
  const std::int64_t rows = 70, cols = 53;
  for (bool reserved_zero : {true, false}) {  // without masks, with them
    CompressedLayer layer = synthetic_layer(
        {.name = "fc", .rows = rows, .cols = cols, .density = 0.3, .bits = 4, .bias = true, .seed = seed()});
    if (!reserved_zero) {
      layer = CompressedLayer::from_dense(rows, cols, layer.to_dense(), Codebook(layer.codebook.values(), 4, false));
    }
    Engine engine({layer}, EngineOptions{.threads = 2, .kernel = KernelIsa::avx2, .max_batch = 40,
                                         .tcsr_min_batch = 41, .precision = Precision::int8});
    ASSERT_EQ(engine.plan_info()[0].kernel, "spmv_sell16i8_cb16__avx2");
    expect_int8_non_finite_inputs_propagate(engine, layer);
  }
}

// Both int8 kernels quantize alike and sum exactly in int32: where this CPU runs both, their outputs are equal.
TEST(EngineInt8Avx2, same_outputs_as_the_avx512_int8_kernel) {
  SKIP_WITHOUT_AVX2();
  if (!engine::avx512_int8_available()) GTEST_SKIP() << "this CPU lacks AVX-512 VNNI or VBMI";
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int trial = 0; trial < 20; ++trial) {
    const auto rows = static_cast<std::int64_t>(1 + rng.below(200));
    const auto cols = static_cast<std::int64_t>(1 + rng.below(2000));
    const CompressedLayer layer = synthetic_layer({.rows = rows, .cols = cols, .density = 0.05 + 0.5 * rng.uniform(),
                                                   .bits = 4, .bias = true, .seed = rng.next()});
    std::vector<float> x = synthetic_activations(cols, rng.uniform(), rng.next());
    if (trial % 2 == 1) {
      for (float& v : x) v = rng.below(2) == 1 ? -v : v;
    }
    std::vector<float> y2(static_cast<std::size_t>(rows)), y512(static_cast<std::size_t>(rows));
    // The int8 layouts forced: left to itself, the planner takes csr16 (fp32) for a layer of a few rows on either.
    const auto engine_on = [&](KernelIsa isa, Layout layout) {
      return Engine({layer}, EngineOptions{.threads = 2, .kernel = isa, .precision = Precision::int8, .layout = layout});
    };
    engine_on(KernelIsa::avx2, Layout::sell16).run(x, y2);
    engine_on(KernelIsa::avx512, Layout::sell16x4).run(x, y512);
    EXPECT_EQ(y2, y512) << "trial " << trial;
  }
}

// The portable kernel is the AVX2 kernel's specification: the same quantization and exact int32 sums, so the same
// outputs bit for bit, at batch 1 and in batches (chunks of two), with and without stored masks.
TEST(EngineInt8Avx2, same_outputs_as_the_portable_kernel) {
  SKIP_WITHOUT_AVX2();
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int trial = 0; trial < 30; ++trial) {
    const auto rows = static_cast<std::int64_t>(1 + rng.below(200));
    const auto cols = static_cast<std::int64_t>(1 + rng.below(2000));
    const std::int64_t batch = 1 + static_cast<std::int64_t>(rng.below(5));
    const double density = 0.05 + 0.5 * rng.uniform();
    CompressedLayer layer = synthetic_layer({.rows = rows, .cols = cols, .density = density, .bits = 4, .bias = true,
                                             .seed = rng.next()});
    if (trial % 3 == 0) {  // every code a weight: the plan stores masks
      std::vector<float> values(16), dense(static_cast<std::size_t>(rows * cols), 0.0f);
      for (int k = 0; k < 16; ++k) values[static_cast<std::size_t>(k)] = (static_cast<float>(k) - 7.5f) * 0.1f;
      for (float& w : dense) w = rng.uniform() < density ? values[rng.below(values.size())] : 0.0f;
      layer = CompressedLayer::from_dense(rows, cols, dense, Codebook(values, 4, false));
    }
    std::vector<float> x;
    for (std::int64_t b = 0; b < batch; ++b) {
      std::vector<float> one = synthetic_activations(cols, rng.uniform(), rng.next());
      if ((trial + b) % 2 == 1) {
        for (float& v : one) v = rng.below(2) == 1 ? -v : v;
      }
      x.insert(x.end(), one.begin(), one.end());
    }
    const auto outputs_on = [&](KernelIsa isa) {
      Engine engine({layer}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = batch, .tcsr_min_batch = 1000,
                                           .precision = Precision::int8, .layout = Layout::sell16});
      EXPECT_EQ(engine.plan_info()[0].kernel, std::string("spmv_sell16i8_cb16__") + kernel_isa_name(isa));
      std::vector<float> y(static_cast<std::size_t>(rows * batch));
      engine.run_batch(x, y, batch);
      return y;
    };
    EXPECT_EQ(outputs_on(KernelIsa::avx2), outputs_on(KernelIsa::scalar)) << "trial " << trial;
  }
}

TEST(EngineInt8Avx2, refused_and_chosen_kernels) {
  SKIP_WITHOUT_AVX2();
  const CompressedLayer layer = synthetic_layer({.rows = 40, .cols = 50, .density = 0.3, .bits = 4, .seed = 1});
  EXPECT_TRUE(precision_available(Precision::int8));
  // The portable kernel with kernel scalar; neon (no int8 kernel of its own) is refused where this build has it.
  EXPECT_EQ(Engine({layer}, EngineOptions{.kernel = KernelIsa::scalar, .precision = Precision::int8}).plan_info()[0].kernel,
            "spmv_sell16i8_cb16__scalar");
  // Automatic: sell16x4 where the CPU has AVX-512 VNNI and VBMI, else sell16 in int8 on AVX2.
  const std::string kernel = Engine({layer}, EngineOptions{.precision = Precision::int8}).plan_info()[0].kernel;
  EXPECT_EQ(kernel, engine::avx512_int8_available() ? "spmv_sell16x4_cb16__avx512vnni" : "spmv_sell16i8_cb16__avx2");
  if (kernel_isa_available(KernelIsa::avx512) && !engine::avx512_int8_available()) {
    expect_error([&] { Engine({layer}, EngineOptions{.kernel = KernelIsa::avx512, .precision = Precision::int8}); },
                 {"precision 'int8'", "'avx512'", "VNNI and VBMI"});
  }
}

}  // namespace
}  // namespace eie::test
