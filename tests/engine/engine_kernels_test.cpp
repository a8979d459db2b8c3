// Every kernel x threads 1..4 x batch sizes against core's reference, over random shapes, densities and
// codebook sizes, and the named edge cases of DESIGN.md.
#include <gtest/gtest.h>

#include "engine/engine_tester.h"
#include "engine/kernels/kernel.h"

namespace eie::test {
namespace {

TEST(EngineKernels, random_sweep_kernels_threads_batches) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (KernelIsa isa : available_kernels()) {
    for (int threads = 1; threads <= 4; ++threads) {
      for (std::int64_t batch : {1, 2, 5, 8, 16, 19, 20, 64, 77}) {
        const auto rows = static_cast<std::int64_t>(1 + rng.below(90));
        const auto cols = static_cast<std::int64_t>(1 + rng.below(120));
        const double density = rng.uniform();
        const int bits = static_cast<int>(1 + rng.below(8));
        EngineTester()
            .rows(rows).cols(cols).density(density).bits(bits).bias(rng.below(2) == 1)
            .activation_density(rng.uniform()).batch(batch).threads(threads).kernel(isa).relu(rng.below(2) == 1)
            .test(rng.next());
      }
    }
  }
}

// Layers below ~16k entries x batch run on the calling thread; these are large enough that their blocks go to
// the workers at batch 1 too.
TEST(EngineKernels, layers_large_enough_to_split_over_threads_at_batch_1) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (int threads = 2; threads <= 4; ++threads) {
      EngineTester().rows(1000).cols(400).density(0.12).bits(4).threads(threads).kernel(isa).test(seed() + threads);
      EngineTester().rows(517).cols(1203).density(0.05).bits(7).bias(true).relu(true).threads(threads).kernel(isa)
          .test(seed() + 10 * threads);
    }
  }
}

TEST(EngineKernels, every_codebook_size_2_to_256) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (int bits = 1; bits <= 8; ++bits) {
      for (std::int64_t batch : {1, 3, 40}) {
        EngineTester().rows(70).cols(90).density(0.3).bits(bits).batch(batch).threads(2).kernel(isa).test(seed() + bits);
      }
    }
  }
}

TEST(EngineKernels, batch_256) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    EngineTester().rows(33).cols(45).density(0.2).batch(256).threads(3).kernel(isa).test(seed());
  }
}

TEST(EngineKernels, long_rows_use_the_unrolled_loops) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {1, 9}) {
      EngineTester().rows(20).cols(700).density(0.6).bits(4).batch(batch).threads(2).kernel(isa).test(seed());
    }
  }
}

// The activation-skipping layout (EngineOptions::skip_zero_activations): batch 1 takes it when the input is
// sparse enough, batches take the usual layouts; 16-bit entries (codebooks up to 16) and 32-bit ones.
TEST(EngineKernels, skip_zero_activations_random_sweep) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (KernelIsa isa : available_kernels()) {
    for (int threads = 1; threads <= 4; ++threads) {
      for (double activation_density : {0.0, 0.03, 0.1, 0.5, 1.0}) {
        for (std::int64_t batch : {1, 1, 3}) {
          EngineTester()
              .rows(static_cast<std::int64_t>(1 + rng.below(300))).cols(static_cast<std::int64_t>(1 + rng.below(300)))
              .density(rng.uniform()).bits(static_cast<int>(1 + rng.below(8))).bias(rng.below(2) == 1)
              .activation_density(activation_density).batch(batch).threads(threads).kernel(isa).relu(rng.below(2) == 1)
              .skip_zero_activations(true).test(rng.next());
        }
      }
    }
  }
}

TEST(EngineKernels, skip_zero_activations_blocks_over_4096_rows_use_32_bit_entries) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    EngineTester().rows(5000).cols(60).density(0.05).bits(4).bias(true).activation_density(0.05).threads(1)
        .kernel(isa).skip_zero_activations(true).test(seed());
  }
}

TEST(EngineKernels, skip_zero_activations_plan) {
  SCOPED_TRACE(seed_trace());
  SyntheticLayerSpec spec{.name = "fc", .rows = 512, .cols = 512, .density = 0.09, .bits = 4, .bias = true, .seed = seed()};
  const CompressedLayer layer = synthetic_layer(spec);
  for (KernelIsa isa : available_kernels()) {
    const Engine plain({layer}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = 1});
    const Engine skipping({layer}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = 1, .skip_zero_activations = true});
    const LayerPlanInfo a = plain.plan_info()[0], b = skipping.plan_info()[0];
    EXPECT_EQ(a.sparse_kernel, "");
    EXPECT_EQ(a.csc_bytes, 0);
    EXPECT_EQ(b.sparse_kernel, "spmv_csc__scalar");
    // The cost model's break-even for 9% weights: ~9% against sell16, ~47% against csr16.
    EXPECT_GT(b.sparse_kernel_below, 0.06);
    EXPECT_LT(b.sparse_kernel_below, 0.7);
    // 16-bit entries and a 32-bit pointer per column in each of the two blocks.
    EXPECT_EQ(b.csc_bytes, 2 * layer.nnz() + 2 * 4 * (512 + 1));
    EXPECT_EQ(b.resident_bytes, a.resident_bytes + b.csc_bytes);
    EXPECT_EQ(b.bytes_for(1), a.bytes_for(1));
  }
}

TEST(EngineKernels, ternary_codebook) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  const std::int64_t rows = 41, cols = 57;
  std::vector<std::uint8_t> codes(rows * cols);
  for (auto& c : codes) c = static_cast<std::uint8_t>(rng.below(3));
  const CompressedLayer layer = CompressedLayer::from_codes(rows, cols, codes, Codebook({0.0f, 0.71f, -1.3f}, 2, true));
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {1, 6, 33}) EngineTester().batch(batch).threads(2).kernel(isa).test(layer, seed());
  }
}

TEST(EngineKernels, codebook_without_reserved_zero_dense_layer) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  const std::int64_t rows = 19, cols = 50;
  std::vector<float> values;
  for (int k = 0; k < 16; ++k) values.push_back(static_cast<float>(k) * 0.1f - 0.75f);
  std::vector<std::uint8_t> codes(rows * cols);
  for (auto& c : codes) c = static_cast<std::uint8_t>(rng.below(16));
  const CompressedLayer layer = CompressedLayer::from_codes(rows, cols, codes, Codebook(values, 4, false));
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {1, 20}) EngineTester().batch(batch).threads(3).kernel(isa).test(layer, seed());
  }
}

TEST(EngineKernels, all_zero_activations) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {1, 8}) {
      EngineTester().rows(50).cols(60).density(0.2).activation_density(0.0).batch(batch).threads(2).kernel(isa).test(seed());
    }
  }
}

TEST(EngineKernels, empty_layer_no_entries) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {1, 4}) {
      EngineTester().rows(30).cols(20).density(0.0).bias(true).batch(batch).threads(4).kernel(isa).test(seed());
    }
  }
}

TEST(EngineKernels, empty_rows_and_columns_and_runs_longer_than_15) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {1, 5}) {
      EngineTester().rows(300).cols(200).density(0.01).batch(batch).threads(3).kernel(isa).test(seed());
    }
  }
}

TEST(EngineKernels, single_row_and_single_column) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (int threads : {1, 4}) {
      EngineTester().rows(1).cols(333).density(0.5).threads(threads).kernel(isa).test(seed());
      EngineTester().rows(333).cols(1).density(0.5).threads(threads).kernel(isa).test(seed());
      EngineTester().rows(1).cols(1).density(1.0).batch(3).threads(threads).kernel(isa).test(seed());
    }
  }
}

TEST(EngineKernels, more_threads_than_rows) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) EngineTester().rows(3).cols(40).density(0.5).threads(4).kernel(isa).test(seed());
}

TEST(EngineKernels, more_than_65536_columns_split_into_panels) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {1, 3}) {
      EngineTester().rows(7).cols(140000).density(0.002).bias(true).batch(batch).threads(2).kernel(isa).relu(true).test(seed());
    }
  }
}

// sell16's windows at the input's end: 65,551 columns is the widest input whose windows start at any column, one
// more and they start on whole panels; the pairs of panels that end past the input load masked.
TEST(EngineKernels, sell16_windows_at_the_edges_of_wide_inputs) {
  SCOPED_TRACE(seed_trace());
  for (std::int64_t cols : {65551, 65552, 65570}) {
    for (KernelIsa isa : available_kernels()) {
      if (!has_sell16(isa) || isa == KernelIsa::avx2) continue;  // AVX2 pads too much at this density: below
      SyntheticLayerSpec spec{.name = "wide", .rows = 20, .cols = cols, .density = 0.03, .bits = 4, .bias = false,
                              .seed = seed()};
      const Engine engine({synthetic_layer(spec)}, EngineOptions{.threads = 2, .kernel = isa, .max_batch = 9});
      EXPECT_EQ(engine.plan_info()[0].kernel, std::string("spmv_sell16_cb16__") + kernel_isa_name(isa)) << cols;
    }
    if (kernel_isa_available(KernelIsa::avx2)) {
      // AVX2 plans sell16 only where it pads little (two full slices, half the weights): 1M entries.
      SyntheticLayerSpec spec{.name = "wide", .rows = 32, .cols = cols, .density = 0.5, .bits = 4, .bias = false,
                              .seed = seed()};
      const Engine engine({synthetic_layer(spec)}, EngineOptions{.threads = 2, .kernel = KernelIsa::avx2, .max_batch = 9});
      EXPECT_EQ(engine.plan_info()[0].kernel, "spmv_sell16_cb16__avx2") << cols;
      for (std::int64_t batch : {1, 9}) {
        EngineTester().rows(32).cols(cols).density(0.5).bias(true).batch(batch).threads(2).kernel(KernelIsa::avx2)
            .test(seed() + cols);
      }
    }
    for (KernelIsa isa : available_kernels()) {
      for (std::int64_t batch : {1, 9}) {
        EngineTester().rows(20).cols(cols).density(0.03).bias(true).batch(batch).threads(2).kernel(isa).test(seed() + cols);
      }
    }
  }
}

TEST(EngineKernels, full_density_weights_and_activations) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {1, 18}) {
      EngineTester().rows(37).cols(41).density(1.0).activation_density(1.0).batch(batch).threads(2).kernel(isa).test(seed());
    }
  }
}

// tcsr cuts the columns into panels of 256: several of them, a partial last one, and a 256-entry codebook whose
// code byte fills the upper half of the entry word.
TEST(EngineKernels, tcsr_panels_of_256_columns_and_256_entry_codebooks) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (std::int64_t batch : {8, 33, 130}) {
      EngineTester().rows(45).cols(700).density(0.1).bits(8).bias(true).relu(true).batch(batch).threads(2).kernel(isa)
          .test(seed() + batch);
    }
  }
}

TEST(Transpose, tiles_and_edges_match_the_element_loop) {
  Rng rng(seed());
  for (int trial = 0; trial < 40; ++trial) {
    const auto rows = static_cast<std::int64_t>(1 + rng.below(70));
    const auto cols = static_cast<std::int64_t>(1 + rng.below(70));
    const auto in_stride = cols + static_cast<std::int64_t>(rng.below(5));
    const auto out_stride = rows + static_cast<std::int64_t>(rng.below(5));
    std::vector<float> in(static_cast<std::size_t>(rows * in_stride));
    for (float& v : in) v = static_cast<float>(rng.uniform());
    std::vector<float> expected(static_cast<std::size_t>(cols * out_stride), -1.0f);
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < cols; ++c) expected[static_cast<std::size_t>(c * out_stride + r)] = in[static_cast<std::size_t>(r * in_stride + c)];
    }
    std::vector<float> out(expected.size(), -1.0f);
    engine::transpose__scalar(in.data(), in_stride, out.data(), out_stride, rows, cols);
    EXPECT_EQ(out, expected) << rows << " x " << cols;
    if (kernel_isa_available(KernelIsa::avx512)) {
      std::fill(out.begin(), out.end(), -1.0f);
      engine::transpose_kernel(KernelIsa::avx512)(in.data(), in_stride, out.data(), out_stride, rows, cols);
      EXPECT_EQ(out, expected) << rows << " x " << cols;  // untouched padding stays -1 too
    }
  }
}

}  // namespace
}  // namespace eie::test
