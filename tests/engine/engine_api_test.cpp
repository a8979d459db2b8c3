// The Engine's API: chains, copies, bad input, NaN and Inf.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <span>

#include "engine/engine_tester.h"

namespace eie::test {
namespace {

CompressedLayer layer_of(std::int64_t rows, std::int64_t cols, std::uint64_t s, const char* name = "fc") {
  SyntheticLayerSpec spec{.name = name, .rows = rows, .cols = cols, .density = 0.3, .bits = 4, .bias = true, .seed = s};
  return synthetic_layer(spec);
}

TEST(EngineApi, chain_with_relu_between_layers_matches_reference) {
  SCOPED_TRACE(seed_trace());
  const CompressedLayer l1 = layer_of(40, 30, seed(), "fc1");
  const CompressedLayer l2 = layer_of(25, 40, seed() + 1, "fc2");
  const std::vector<float> x = synthetic_activations(30, 0.6, seed());
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {1, 4}) {
      Engine engine({l1, l2}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = 4});
      std::vector<float> xs;
      for (std::int64_t b = 0; b < batch; ++b) xs.insert(xs.end(), x.begin(), x.end());
      std::vector<float> y(static_cast<std::size_t>(25 * batch));
      engine.run_batch(xs, y, batch);
      std::vector<double> hidden = reference_spmv(l1, x);
      std::vector<float> h(hidden.size());
      for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<float>(std::max(0.0, hidden[i]));
      const std::vector<double> ref = reference_spmv(l2, h);
      for (std::int64_t b = 0; b < batch; ++b) {
        for (std::size_t r = 0; r < ref.size(); ++r) {
          EXPECT_NEAR(y[static_cast<std::size_t>(b) * 25 + r], ref[r], 1e-4 * std::max(1.0, std::fabs(ref[r])));
        }
      }
    }
  }
}

// sell16 -> csr16 (a 128-entry codebook) -> sell16 (64 entries) -> csr16 (256): every change of activation form between layers, with
// widths that are not multiples of 16 and batch elements that differ, at batch 1, 3 and 11 (chunk of 8 + tail).
TEST(EngineApi, chain_mixing_sell16_and_csr16_layers) {
  SCOPED_TRACE(seed_trace());
  const auto make = [](std::int64_t rows, std::int64_t cols, int bits, std::uint64_t s, const char* name) {
    SyntheticLayerSpec spec{.name = name, .rows = rows, .cols = cols, .density = 0.3, .bits = bits, .bias = true, .seed = s};
    return synthetic_layer(spec);
  };
  const std::vector<CompressedLayer> layers = {make(37, 29, 4, seed(), "a"), make(21, 37, 7, seed() + 1, "b"),
                                               make(50, 21, 6, seed() + 2, "c"), make(9, 50, 8, seed() + 3, "d")};
  for (KernelIsa isa : available_kernels()) {
    Engine engine(layers, EngineOptions{.threads = 2, .kernel = isa, .max_batch = 11});
    for (std::int64_t batch : {1, 3, 11}) {
      std::vector<float> xs;
      std::vector<std::vector<double>> refs;
      for (std::int64_t b = 0; b < batch; ++b) {
        const std::vector<float> x = synthetic_activations(29, 0.7, seed() + 10 + static_cast<std::uint64_t>(b));
        xs.insert(xs.end(), x.begin(), x.end());
        std::vector<float> h = x;
        std::vector<double> out;
        for (std::size_t k = 0; k < layers.size(); ++k) {
          out = reference_spmv(layers[k], h);
          h.assign(out.begin(), out.end());
          if (k + 1 < layers.size()) {
            for (float& v : h) v = std::max(v, 0.0f);
          }
        }
        refs.push_back(out);
      }
      std::vector<float> y(static_cast<std::size_t>(9 * batch));
      engine.run_batch(xs, y, batch);
      for (std::int64_t b = 0; b < batch; ++b) {
        for (std::size_t r = 0; r < 9; ++r) {
          const double ref = refs[static_cast<std::size_t>(b)][r];
          EXPECT_NEAR(y[static_cast<std::size_t>(b) * 9 + r], ref, 1e-4 * std::max(1.0, std::fabs(ref)))
              << kernel_isa_name(isa) << " batch " << batch << " element " << b << " row " << r;
        }
      }
    }
  }
}

TEST(EngineApi, copies_share_the_plan_and_give_the_same_output) {
  const CompressedLayer layer = layer_of(64, 48, seed());
  Engine a({layer}, EngineOptions{.threads = 2});
  Engine b(a);
  EXPECT_EQ(a.resident_bytes(), b.resident_bytes());
  const std::vector<float> x = synthetic_activations(48, 0.5, seed());
  std::vector<float> ya(64), yb(64);
  a.run(x, ya);
  b.run(x, yb);
  EXPECT_EQ(ya, yb);
}

TEST(EngineApi, engines_sharing_worker_threads_give_their_own_outputs) {
  // Large enough (>= 16k entries) that each layer hands blocks to the shared workers.
  const CompressedLayer l1 = layer_of(700, 300, seed()), l2 = layer_of(500, 700, seed() + 1);
  auto workers = std::make_shared<WorkerThreads>(2);
  Engine a({l1}, EngineOptions{.threads = 2, .workers = workers});
  Engine b({l2}, EngineOptions{.threads = 2, .workers = workers});
  Engine a_own({l1}, EngineOptions{.threads = 2}), b_own({l2}, EngineOptions{.threads = 2});
  const std::vector<float> x = synthetic_activations(300, 0.5, seed());
  std::vector<float> h(700), y(500), h_own(700), y_own(500);
  for (int repeat = 0; repeat < 3; ++repeat) {
    a.run(x, h);
    b.run(h, y);
  }
  a_own.run(x, h_own);
  b_own.run(h_own, y_own);
  EXPECT_EQ(h, h_own);
  EXPECT_EQ(y, y_own);
  Engine copy(a);  // a copy gets its own workers and may run beside the original
  std::vector<float> h_copy(700);
  copy.run(x, h_copy);
  EXPECT_EQ(h_copy, h_own);
}

TEST(EngineApi, shared_workers_must_match_the_thread_count) {
  const CompressedLayer layer = layer_of(10, 8, seed());
  auto workers = std::make_shared<WorkerThreads>(3);
  expect_error([&] { Engine({layer}, EngineOptions{.threads = 2, .workers = workers}); },
               {"shared workers have 3 threads", "options.threads = 2"});
  expect_error([&] { WorkerThreads bad(0); }, {"threads = 0"});
}

TEST(EngineApi, plan_info_names_the_kernel_and_balances_entries) {
  const CompressedLayer layer = layer_of(400, 300, seed());
  Engine engine({layer}, EngineOptions{.threads = 2, .kernel = KernelIsa::scalar});
  const std::vector<LayerPlanInfo> info = engine.plan_info();
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].kernel, "spmv_csr16_cb16__scalar");
  EXPECT_EQ(info[0].entries, layer.nnz());
  EXPECT_LT(info[0].imbalance, 1.02);
  EXPECT_GT(info[0].resident_bytes, 3 * layer.nnz());
}

TEST(EngineApi, sell16_is_planned_where_the_codebook_fits) {
  bool planned = false;
  for (KernelIsa isa : available_kernels()) {
    // AVX2 plans sell16 for 16-entry codebooks only (its own test below).
    if (!has_sell16(isa) || isa == KernelIsa::avx2) continue;
    planned = true;
    SCOPED_TRACE(kernel_isa_name(isa));
    const std::string name = kernel_isa_name(isa);
    // NEON has no csr16 kernel of its own: the portable one runs there.
    const std::string csr16 = isa == KernelIsa::neon ? "scalar" : name;
    const CompressedLayer layer = layer_of(100, 70, seed());  // 4-bit codes
    const auto kernel = [&](const CompressedLayer& l, std::int64_t max_batch) {
      return Engine({l}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = max_batch}).plan_info()[0].kernel;
    };
    EXPECT_EQ(kernel(layer, 1), "spmv_sell16_cb16__" + name);
    EXPECT_EQ(kernel(layer, 8), "spmv_sell16_cb16__" + name);
    // 32- and 64-entry codebooks decode through one or two bit planes per layer; wider ones need the gather kernel.
    for (int bits : {5, 6, 7}) {
      SyntheticLayerSpec wide{.name = "w", .rows = 30, .cols = 40, .density = 0.3, .bits = bits, .bias = false, .seed = seed()};
      EXPECT_EQ(kernel(synthetic_layer(wide), 1), bits == 5   ? "spmv_sell16_cb32__" + name
                                                  : bits == 6 ? "spmv_sell16_cb64__" + name
                                                              : "spmv_csr16_cb256__" + csr16);
    }
    // At 0.2% density most sell16 tiers would hold one entry: the gather kernel is planned instead.
    SyntheticLayerSpec sparse{.name = "s", .rows = 1000, .cols = 2000, .density = 0.002, .bits = 4, .bias = false, .seed = seed()};
    EXPECT_EQ(kernel(synthetic_layer(sparse), 1), "spmv_csr16_cb16__" + csr16);
  }
  if (!planned) GTEST_SKIP() << "this CPU has neither AVX-512 nor NEON";
}

TEST(EngineApi, avx2_plans_sell16_for_codebooks_of_16_entries) {
  if (!kernel_isa_available(KernelIsa::avx2)) GTEST_SKIP() << "this CPU has no AVX2";
  const auto kernel = [](const CompressedLayer& l) {
    return Engine({l}, EngineOptions{.threads = 2, .kernel = KernelIsa::avx2, .max_batch = 8}).plan_info()[0].kernel;
  };
  EXPECT_EQ(kernel(layer_of(100, 70, seed())), "spmv_sell16_cb16__avx2");
  // Two registers hold 16 codebook entries: wider codebooks take the gather kernel.
  SyntheticLayerSpec wide{.name = "w", .rows = 30, .cols = 40, .density = 0.3, .bits = 5, .bias = false, .seed = seed()};
  EXPECT_EQ(kernel(synthetic_layer(wide)), "spmv_csr16_cb32__avx2");
  SyntheticLayerSpec sparse{.name = "s", .rows = 1000, .cols = 2000, .density = 0.002, .bits = 4, .bias = false, .seed = seed()};
  EXPECT_EQ(kernel(synthetic_layer(sparse)), "spmv_csr16_cb16__avx2");
}

TEST(EngineApi, plans_tcsr_for_batches_when_max_batch_allows) {
  const CompressedLayer layer = layer_of(100, 600, seed());
  for (KernelIsa isa : available_kernels()) {
    SCOPED_TRACE(kernel_isa_name(isa));
    const auto info = [&](std::int64_t max_batch) {
      return Engine({layer}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = max_batch}).plan_info()[0];
    };
    const LayerPlanInfo single = info(1);
    EXPECT_EQ(single.batch_kernel, "");
    EXPECT_EQ(single.tcsr_bytes, 0);
    const LayerPlanInfo batched = info(64);
    EXPECT_EQ(batched.batch_kernel, std::string("spmm_tcsr_cb16__") + kernel_isa_name(isa));
    // sell16 (AVX-512, NEON, and AVX2 for 16-entry codebooks) keeps the small batches (its permutes serve 16 rows
    // at once); csr16 runs batch 1 only.
    EXPECT_EQ(single.kernel, std::string(has_sell16(isa) ? "spmv_sell16_cb16__" : "spmv_csr16_cb16__") +
                                 kernel_isa_name(isa));
    if (has_sell16(isa)) {
      EXPECT_GT(batched.batch_kernel_from, 2);
    } else {
      EXPECT_EQ(batched.batch_kernel_from, 2);
    }
    // Two bytes per entry and a row pointer per row and 256-column panel (3 panels here, 2 row blocks).
    EXPECT_EQ(batched.tcsr_bytes, 2 * layer.nnz() + 4 * 3 * (100 + 2));
    EXPECT_EQ(batched.resident_bytes, single.resident_bytes + batched.tcsr_bytes);
    if (has_sell16(isa)) {
      EXPECT_EQ(info(batched.batch_kernel_from - 1).batch_kernel, "");
      // The option moves the switch where sell16 runs batch 1; csr16 layers always take tcsr from 2.
      const auto from = [&](std::int64_t option) {
        return Engine({layer}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = 64, .tcsr_min_batch = option})
            .plan_info()[0];
      };
      EXPECT_EQ(from(2).batch_kernel_from, 2);
      EXPECT_EQ(from(65).batch_kernel, "");
      SyntheticLayerSpec wide{.name = "w", .rows = 30, .cols = 40, .density = 0.3, .bits = 8, .bias = false, .seed = seed()};
      EXPECT_EQ(Engine({synthetic_layer(wide)}, EngineOptions{.kernel = isa, .max_batch = 64, .tcsr_min_batch = 65})
                    .plan_info()[0].batch_kernel_from, 2);
    }
  }
}

TEST(EngineApi, nan_and_inf_inputs_propagate) {
  CompressedLayer layer = layer_of(30, 20, seed());
  layer.bias.clear();
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {1, 2, 9}) {  // 9: tcsr for every ISA
      Engine engine({layer}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = 9});
      std::vector<float> x(static_cast<std::size_t>(20 * batch), 0.5f);
      x[3] = std::numeric_limits<float>::quiet_NaN();
      x[7] = std::numeric_limits<float>::infinity();
      std::vector<float> y(static_cast<std::size_t>(30 * batch));
      engine.run_batch(x, y, batch);
      std::vector<float> x0(x.begin(), x.begin() + 20);
      const std::vector<double> ref = reference_spmv(layer, x0);
      for (std::size_t r = 0; r < 30; ++r) {
        SCOPED_TRACE("row " + std::to_string(r));
        EXPECT_EQ(std::isnan(y[r]), std::isnan(ref[r]));
        if (std::isinf(ref[r])) {
          EXPECT_EQ(y[r], ref[r]);
        }
      }
      // The other batch elements hold no NaN or Inf: none may leak into them.
      for (std::size_t i = 30; i < y.size(); ++i) EXPECT_TRUE(std::isfinite(y[i])) << "output " << i;
    }
  }
}

// Each output is NaN exactly where the reference is, equal where it is infinite, close where it is finite.
void expect_like_reference(std::span<const float> y, const std::vector<double>& ref) {
  for (std::size_t r = 0; r < ref.size(); ++r) {
    const float got = y[r];
    const double want = ref[r];
    EXPECT_EQ(std::isnan(got), std::isnan(want)) << "row " << r << ": " << got << " vs " << want;
    if (std::isinf(want)) {
      EXPECT_EQ(got, want) << "row " << r;
    } else if (std::isfinite(want)) {
      EXPECT_NEAR(got, want, 1e-4 * (1.0 + std::fabs(want))) << "row " << r;
    }
  }
}

// sell16's padding slots in a 16-entry layer with a reserved zero point at column 0 of their panel and decode
// to 0, so 0 * NaN or 0 * Inf there must never reach a row without an entry in that column.
TEST(EngineApi, non_finite_inputs_never_reach_padding) {
  const std::int64_t rows = 70, cols = 53;  // three full panels and a partial one
  const CompressedLayer layer = layer_of(rows, cols, seed());
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (KernelIsa isa : available_kernels()) {
    Engine engine({layer}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = 9});
    for (std::int64_t batch : {1, 3, 9}) {
      for (std::int64_t col : {0, 16, 32, 48}) {
        for (float bad : {nan, inf, -inf}) {
          SCOPED_TRACE("batch " + std::to_string(batch) + ", x[" + std::to_string(col) + "] = " + std::to_string(bad));
          std::vector<float> x(static_cast<std::size_t>(cols * batch), 0.5f);
          const std::int64_t last = batch - 1;  // the only element holding the bad value
          x[static_cast<std::size_t>(last * cols + col)] = bad;
          std::vector<float> y(static_cast<std::size_t>(rows * batch));
          engine.run_batch(x, y, batch);
          const std::vector<float> x_last(x.begin() + last * cols, x.end());
          const std::vector<double> ref = reference_spmv(layer, x_last);
          expect_like_reference(std::span(y).subspan(static_cast<std::size_t>(last * rows)), ref);
          for (std::size_t i = 0; i < static_cast<std::size_t>(last * rows); ++i) ASSERT_TRUE(std::isfinite(y[i]));
        }
      }
    }
  }
}

// With skip_zero_activations a sparse input runs on csc, which visits only the non-zero activations: a NaN or
// an Inf among them must still reach exactly the rows it reaches in the reference.
TEST(EngineApi, non_finite_inputs_propagate_when_skipping_zero_activations) {
  const std::int64_t rows = 70, cols = 200;
  CompressedLayer layer = layer_of(rows, cols, seed());
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (KernelIsa isa : available_kernels()) {
    Engine engine({layer}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = 1, .skip_zero_activations = true});
    for (float bad : {nan, inf, -inf}) {
      std::vector<float> x(static_cast<std::size_t>(cols), 0.0f);  // 2 of 200 non-zero: csc on every kernel
      x[17] = 0.5f;
      x[101] = bad;
      std::vector<float> y(static_cast<std::size_t>(rows));
      engine.run(x, y);
      const std::vector<double> ref = reference_spmv(layer, x);
      expect_like_reference(y, ref);
    }
  }
}

TEST(EngineApi, wrong_input_and_output_lengths) {
  Engine engine({layer_of(10, 8, 1)}, EngineOptions{.max_batch = 4});
  std::vector<float> x(8), y(10), x_bad(7), y_bad(11);
  expect_error([&] { engine.run(x_bad, y); }, {"input x has 7 floats", "expected 8"});
  expect_error([&] { engine.run(x, y_bad); }, {"output y has 11 floats", "expected 10"});
  std::vector<float> xb(16), yb(20);
  expect_error([&] { engine.run_batch(xb, yb, 3); }, {"input x has 16 floats", "expected 24"});
  expect_error([&] { engine.run_batch(xb, yb, 5); }, {"batch = 5", "1..4"});
  expect_error([&] { engine.run_batch(xb, yb, 0); }, {"batch = 0"});
}

TEST(EngineApi, bad_options) {
  const CompressedLayer layer = layer_of(10, 8, 1);
  expect_error([&] { Engine({layer}, EngineOptions{.threads = 0}); }, {"threads = 0", "1..256"});
  expect_error([&] { Engine({layer}, EngineOptions{.threads = 1000}); }, {"threads = 1000"});
  expect_error([&] { Engine({layer}, EngineOptions{.max_batch = 0}); }, {"max_batch = 0"});
  expect_error([&] { Engine({layer}, EngineOptions{.tcsr_min_batch = -1}); }, {"tcsr_min_batch = -1"});
  expect_error([&] { Engine(std::vector<CompressedLayer>{}); }, {"chain is empty"});
  expect_error([&] { Engine({layer_of(10, 8, 1, "a"), layer_of(5, 9, 2, "b")}); }, {"'b'", "takes 9 inputs", "gives 10"});
  expect_error([] { parse_kernel_isa("sse9"); }, {"kernel 'sse9'"});
}

TEST(EngineApi, forcing_a_kernel_the_cpu_lacks_is_an_error) {
  // No build has every kernel: x86-64 builds lack neon, AArch64 builds avx2 and avx512.
  int refused = 0;
  for (KernelIsa isa : {KernelIsa::avx2, KernelIsa::avx512, KernelIsa::neon}) {
    if (kernel_isa_available(isa)) continue;
    ++refused;
    expect_error([&] { Engine({layer_of(10, 8, 1)}, EngineOptions{.kernel = isa}); },
                 {std::string("kernel '") + kernel_isa_name(isa) + "'", "not available",
                  isa == KernelIsa::neon ? "compiled for AArch64 targets only" : "which lacks"});
  }
  EXPECT_GE(refused, 1);
}

}  // namespace
}  // namespace eie::test
