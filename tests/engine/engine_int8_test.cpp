// EngineOptions::precision int8: the sell16x4 kernel against core's reference within its bound (each input and
// the codebook quantized to 8 bits, products summed exactly; common/reference_check.h), over random shapes,
// threads, batches, inputs with and without negative values, and the edge cases of DESIGN.md; which layers it
// takes; NaN and Inf; the options it refuses. Skipped where the CPU lacks AVX-512 VNNI or VBMI (int8 on the avx2
// kernels: engine_int8_avx2_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <span>

#include "engine/engine_tester.h"
#include "engine/int8_checks.h"
#include "engine/kernels/kernel.h"

namespace eie::test {
namespace {

#define SKIP_WITHOUT_INT8()                                                                   \
  if (!engine::avx512_int8_available()) GTEST_SKIP() << "this CPU lacks AVX-512 VNNI or VBMI"

EngineTester int8() { return EngineTester().precision(Precision::int8).kernel(KernelIsa::avx512); }

TEST(EngineInt8, random_sweep_threads_batches) {
  SKIP_WITHOUT_INT8();
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int threads = 1; threads <= 4; ++threads) {
    for (std::int64_t batch : {1, 2, 5, 8, 9, 16, 19, 64}) {
      for (int trial = 0; trial < 3; ++trial) {
        const auto rows = static_cast<std::int64_t>(1 + rng.below(90));
        const auto cols = static_cast<std::int64_t>(1 + rng.below(trial == 2 ? 3000 : 120));
        int8().rows(rows).cols(cols).density(rng.uniform()).bits(static_cast<int>(1 + rng.below(6)))
            .bias(rng.below(2) == 1).activation_density(rng.uniform()).batch(batch).threads(threads)
            .relu(rng.below(2) == 1).signed_inputs(rng.below(2) == 1).compact_codes(trial == 1).test(rng.next());
      }
    }
  }
}

TEST(EngineInt8, paper_like_layers_split_over_threads) {
  SKIP_WITHOUT_INT8();
  SCOPED_TRACE(seed_trace());
  for (int threads = 2; threads <= 4; ++threads) {
    int8().rows(1000).cols(1500).density(0.09).activation_density(0.35).threads(threads).test(seed() + threads);
    int8().rows(700).cols(2100).density(0.04).bias(true).relu(true).threads(threads).signed_inputs(true)
        .test(seed() + 10 * threads);
    int8().rows(900).cols(600).density(0.11).threads(threads).compact_codes(true).test(seed() + 20 * threads);
  }
}

// sell16x4 takes codebooks of up to 64 entries (every code may be stored: the padding is told by its column;
// nibbles of code up to 16 entries, bytes above) and inputs of up to 65,536 columns; the others keep fp32, and
// are just as correct.
TEST(EngineInt8, which_layers_take_sell16x4) {
  SKIP_WITHOUT_INT8();
  SCOPED_TRACE(seed_trace());
  for (int bits : {1, 2, 4, 5, 6, 7}) {
    const CompressedLayer layer = synthetic_layer({.rows = 40, .cols = 50, .density = 0.3, .bits = bits, .seed = seed()});
    const Engine engine({layer}, EngineOptions{.kernel = KernelIsa::avx512, .precision = Precision::int8});
    const LayerPlanInfo info = engine.plan_info()[0];
    const std::string entries = std::to_string(16 << std::max(0, bits - 4));
    EXPECT_EQ(info.kernel, bits == 7 ? "spmv_csr16_cb256__avx512" : "spmv_sell16x4_cb" + entries + "__avx512vnni");
    EXPECT_EQ(info.batch_kernel.empty(), bits <= 6);  // sell16x4 runs every batch
    for (std::int64_t batch : {1, 7, 20}) int8().batch(batch).threads(2).bias(true).signed_inputs(batch == 7).test(layer, seed() + batch);
  }
  const CompressedLayer wide = synthetic_layer({.rows = 5, .cols = 65537, .density = 0.2, .bits = 4, .seed = seed()});
  EXPECT_EQ(Engine({wide}, EngineOptions{.kernel = KernelIsa::avx512, .precision = Precision::int8}).plan_info()[0].kernel,
            "spmv_sell16_cb16__avx512");
  int8().threads(2).test(wide, seed());
}

// The nibbles of code stay unless they would take over 1.5x the layer's 64-PE EIE encoding, or over 6 MB: on
// NT-Wd's shape (8791 x 600, 11% weights: short rows, much padding per entry) they would (~1.68x), at 9% and 2048
// inputs not.
TEST(EngineInt8, which_layers_take_compact_codes) {
  SKIP_WITHOUT_INT8();
  SCOPED_TRACE(seed_trace());
  const auto plan = [](const CompressedLayer& layer, bool compact) {
    return Engine({layer}, EngineOptions{.threads = 2, .kernel = KernelIsa::avx512, .precision = Precision::int8,
                                         .compact_codes = compact})
        .plan_info()[0];
  };
  const CompressedLayer narrow = synthetic_layer({.rows = 8791, .cols = 600, .density = 0.11, .bits = 4, .seed = seed()});
  const CompressedLayer wide = synthetic_layer({.rows = 2048, .cols = 2048, .density = 0.09, .bits = 4, .seed = seed()});
  const double narrow_encoding = static_cast<double>(encoding_stats(encode_eie(narrow, 64)).bytes);
  const double wide_encoding = static_cast<double>(encoding_stats(encode_eie(wide, 64)).bytes);
  EXPECT_EQ(plan(narrow, false).kernel, "spmv_sell16x4c_cb16__avx512vnni");
  EXPECT_LE(static_cast<double>(plan(narrow, false).resident_bytes), 1.5 * narrow_encoding);
  EXPECT_EQ(plan(wide, false).kernel, "spmv_sell16x4_cb16__avx512vnni");
  EXPECT_LE(static_cast<double>(plan(wide, false).resident_bytes), 1.5 * wide_encoding);
  // Asked for, compact codes: 1.25 bytes per slot against 1.5.
  const LayerPlanInfo compact = plan(wide, true);
  EXPECT_EQ(compact.kernel, "spmv_sell16x4c_cb16__avx512vnni");
  EXPECT_LT(static_cast<double>(compact.resident_bytes), 0.86 * static_cast<double>(plan(wide, false).resident_bytes));
  // Layouts over 6 MB stream from L3, where the fewer bytes pay (no reserved zero: no EIE encoding to compare with).
  const CompressedLayer large = synthetic_layer({.rows = 3000, .cols = 5600, .density = 0.25, .bits = 4, .seed = seed()});
  CompressedLayer unreserved = large;
  unreserved.codebook = Codebook(large.codebook.values(), 4, false);
  EXPECT_EQ(plan(unreserved, false).kernel, "spmv_sell16x4c_cb16__avx512vnni");
  // Codebooks over 16 entries keep their byte of code.
  const CompressedLayer bytes = synthetic_layer({.rows = 50, .cols = 600, .density = 0.11, .bits = 5, .seed = seed()});
  EXPECT_EQ(plan(bytes, true).kernel, "spmv_sell16x4_cb32__avx512vnni");
  int8().threads(2).test(narrow, seed());
}

TEST(EngineInt8, edge_cases) {
  SKIP_WITHOUT_INT8();
  SCOPED_TRACE(seed_trace());
  for (std::int64_t batch : {1, 6}) {
    for (bool negative : {false, true}) {
      for (bool compact : {false, true}) {
        const auto tester = [&] { return int8().batch(batch).signed_inputs(negative).compact_codes(compact); };
        tester().rows(50).cols(60).density(0.2).activation_density(0.0).threads(2).test(seed());
        tester().rows(30).cols(20).density(0.0).bias(true).threads(4).test(seed());
        tester().rows(300).cols(200).density(0.01).threads(3).test(seed());
        tester().rows(37).cols(41).density(1.0).activation_density(1.0).threads(2).test(seed());
        tester().rows(1).cols(333).density(0.5).threads(4).test(seed());
        tester().rows(333).cols(1).density(0.5).threads(4).test(seed());
        tester().rows(3).cols(40).density(0.5).threads(4).test(seed());
      }
    }
  }
}

// Windows that start at any column up to the last of 65,536, and rows whose entries lie 62 and 63 columns apart
// (the window's last column, then the next window).
TEST(EngineInt8, windows_at_the_edges) {
  SKIP_WITHOUT_INT8();
  SCOPED_TRACE(seed_trace());
  for (std::int64_t cols : {62, 63, 64, 65, 65536}) {
    for (std::int64_t batch : {1, 3}) {
      int8().rows(20).cols(cols).density(0.03).bias(true).batch(batch).threads(2).test(seed() + cols);
      int8().rows(20).cols(cols).density(0.03).batch(batch).threads(2).compact_codes(true).test(seed() + cols);
    }
  }
  const std::int64_t rows = 3, cols = 200;
  std::vector<std::uint8_t> codes(rows * cols, 0);  // code 0 of a reserved zero: not stored
  for (std::int64_t c : {0, 62, 63, 125, 126, 199}) codes[static_cast<std::size_t>(c)] = 3;
  for (std::int64_t c = 0; c < cols; c += 63) codes[static_cast<std::size_t>(cols + c)] = 5;
  codes[static_cast<std::size_t>(2 * cols + cols - 1)] = 15;
  std::vector<float> values(16);
  for (int k = 1; k < 16; ++k) values[static_cast<std::size_t>(k)] = static_cast<float>(k) * 0.1f - 0.8f;
  const CompressedLayer layer = CompressedLayer::from_codes(rows, cols, codes, Codebook(values, 4, true));
  for (std::int64_t batch : {1, 2}) {
    for (bool compact : {false, true}) int8().batch(batch).signed_inputs(true).compact_codes(compact).test(layer, seed());
  }
}

// A codebook without a zero: the padding slots hold code 0, a real weight, and add nothing only because they pick
// the window's last byte, which the kernel zeroes.
TEST(EngineInt8, padding_when_every_code_is_a_weight) {
  SKIP_WITHOUT_INT8();
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int bits : {4, 6}) {  // nibbles, bytes
    const int entries = 1 << bits;
    std::vector<float> values(static_cast<std::size_t>(entries));
    for (int k = 0; k < entries; ++k) values[static_cast<std::size_t>(k)] = (static_cast<float>(k) - 7.5f) * 0.1f;
    const std::int64_t rows = 45, cols = 300;
    std::vector<float> dense(static_cast<std::size_t>(rows * cols), 0.0f);
    for (float& w : dense) w = rng.uniform() < 0.1 ? values[rng.below(values.size())] : 0.0f;
    const CompressedLayer layer = CompressedLayer::from_dense(rows, cols, dense, Codebook(values, bits, false));
    ASSERT_NE(layer.codebook[0], 0.0f);
    for (std::int64_t batch : {1, 3}) {
      for (bool negative : {false, true}) {
        int8().batch(batch).threads(2).signed_inputs(negative).activation_density(1.0).test(layer, seed());
        int8().batch(batch).threads(3).signed_inputs(negative).compact_codes(true).test(layer, seed());
      }
    }
  }
}

// The input's scale (int8_checks.h).
TEST(EngineInt8, input_scales) {
  SKIP_WITHOUT_INT8();
  expect_int8_follows_the_input_scale(
      synthetic_layer({.rows = 33, .cols = 70, .density = 0.4, .bits = 4, .bias = true, .seed = seed()}),
      KernelIsa::avx512);
}

// NaN and Inf (int8_checks.h) on sell16x4, with nibble and byte codes, plain and compact.
TEST(EngineInt8, nan_and_inf_inputs_propagate) {
  SKIP_WITHOUT_INT8();
  const std::int64_t rows = 70, cols = 53;
  for (int bits : {4, 6}) {
    const CompressedLayer layer =
        synthetic_layer({.name = "fc", .rows = rows, .cols = cols, .density = 0.3, .bits = bits, .bias = true, .seed = seed()});
    for (bool compact : {false, true}) {
      Engine engine({layer}, EngineOptions{.threads = 2, .kernel = KernelIsa::avx512, .max_batch = 40,
                                           .precision = Precision::int8, .compact_codes = compact});
      expect_int8_non_finite_inputs_propagate(engine, layer);
    }
  }
}

TEST(EngineInt8, refused_options) {
  const CompressedLayer layer = synthetic_layer({.rows = 10, .cols = 8, .density = 0.5, .bits = 4, .seed = 1});
  EXPECT_EQ(parse_precision("int8"), Precision::int8);
  expect_error([] { parse_precision("int4"); }, {"precision 'int4'", "fp32, bf16, int8"});
  // The portable kernels run it on every CPU; the vector ones where the CPU has the instructions.
  EXPECT_EQ(Engine({layer}, EngineOptions{.kernel = KernelIsa::scalar, .precision = Precision::int8}).plan_info()[0].kernel,
            "spmv_sell16i8_cb16__scalar");
  if (!precision_available(Precision::int8)) {
    expect_error([&] { Engine({layer}, EngineOptions{.precision = Precision::int8}); },
                 {"precision 'int8'", "VNNI", "AVX2"});
  }
  if (kernel_isa_available(KernelIsa::neon)) {
    expect_error([&] { Engine({layer}, EngineOptions{.kernel = KernelIsa::neon, .precision = Precision::int8}); },
                 {"precision 'int8'"});
  }
}

}  // namespace
}  // namespace eie::test
