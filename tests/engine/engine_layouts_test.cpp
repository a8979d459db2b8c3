// Every layout forced (EngineOptions::layout) on every kernel this CPU runs and every precision it has, against
// core's reference over random shapes, densities, codebook sizes, batches and thread counts, and the edge cases
// of DESIGN.md; and the one-line errors for a layout a layer or the CPU cannot take.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine_tester.h"
#include "engine/kernels/kernel.h"

namespace eie::test {
namespace {

struct ForcedLayout {
  Layout layout;
  Precision precision;
  int most_bits;  // the largest codebook it takes: 2^most_bits entries
};

// The layouts `isa` runs here, each with its precision: the fp32 ones everywhere (their portable kernels where
// the ISA has none), sell16x2 and sell16 in int8 on the scalar kernels everywhere, sell16 in int8 on the AVX2 ones,
// and sell16x2 and sell16x4 on the AVX-512 ones where the CPU has their instructions.
std::vector<ForcedLayout> layouts_on(KernelIsa isa) {
  std::vector<ForcedLayout> layouts = {{Layout::sell16, Precision::fp32, 6}, {Layout::tcsr, Precision::fp32, 8},
                                       {Layout::csr16, Precision::fp32, 8}, {Layout::csc, Precision::fp32, 8}};
  if (isa == KernelIsa::scalar || (isa == KernelIsa::avx512 && precision_available(Precision::bf16))) {
    layouts.push_back({Layout::sell16x2, Precision::bf16, 6});
  }
  if (isa == KernelIsa::avx512 && precision_runs_on(Precision::int8, KernelIsa::avx512)) {
    layouts.push_back({Layout::sell16x4, Precision::int8, 6});
  }
  if (isa == KernelIsa::avx2 || isa == KernelIsa::scalar) {
    layouts.push_back({Layout::sell16, Precision::int8, 6});  // 8-bit arithmetic (cb16; fp32 above)
  }
  return layouts;
}

EngineTester forced(KernelIsa isa, const ForcedLayout& f) {
  return EngineTester().kernel(isa).layout(f.layout).precision(f.precision);
}

TEST(EngineLayouts, random_sweep_every_layout_kernel_precision) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (KernelIsa isa : available_kernels()) {
    for (const ForcedLayout& f : layouts_on(isa)) {
      for (int round = 0; round < 24; ++round) {
        const auto rows = static_cast<std::int64_t>(1 + rng.below(140));
        const auto cols = static_cast<std::int64_t>(1 + rng.below(200));
        const double density = round == 0 ? 0.0 : round == 1 ? 1.0 : rng.uniform();
        const int bits = static_cast<int>(1 + rng.below(static_cast<std::uint64_t>(f.most_bits)));
        // A 2-entry codebook without a zero leaves sell16x2 no padding code: bits 2 or more there.
        const int codebook_bits = f.layout == Layout::sell16x2 ? std::max(bits, 2) : bits;
        const std::int64_t batch = round % 3 == 0 ? 1 : static_cast<std::int64_t>(2 + rng.below(40));
        forced(isa, f)
            .rows(rows).cols(cols).density(density).bits(codebook_bits).bias(rng.below(2) == 1)
            .activation_density(round == 2 ? 0.0 : rng.uniform()).batch(batch)
            .threads(static_cast<int>(1 + rng.below(4))).relu(rng.below(2) == 1).signed_inputs(rng.below(2) == 1)
            .test(rng.next());
      }
    }
  }
}

// DESIGN.md's edge cases on every forced layout: empty rows and columns with runs longer than 15 (1% weights),
// a single row, a single column, an empty layer, shapes not divisible by the thread count, and inputs wider than
// 65,551 columns (sell16's windows then start on aligned panels of 16).
TEST(EngineLayouts, edge_cases_every_layout_kernel_precision) {
  SCOPED_TRACE(seed_trace());
  for (KernelIsa isa : available_kernels()) {
    for (const ForcedLayout& f : layouts_on(isa)) {
      for (std::int64_t batch : {1, 7}) {
        forced(isa, f).rows(300).cols(200).density(0.01).batch(batch).threads(3).test(seed());
        forced(isa, f).rows(1).cols(333).density(0.5).batch(batch).threads(2).test(seed() + 1);
        forced(isa, f).rows(333).cols(1).density(0.5).batch(batch).threads(4).test(seed() + 2);
        forced(isa, f).rows(30).cols(20).density(0.0).bias(true).batch(batch).threads(4).test(seed() + 3);
        forced(isa, f).rows(101).cols(67).density(0.3).bits(f.most_bits).batch(batch).threads(3).test(seed() + 4);
        if (f.layout != Layout::sell16x4) {  // sell16x4 takes at most 65,536 inputs
          forced(isa, f).rows(40).cols(70001).density(0.002).batch(batch).threads(2).test(seed() + 5);
        }
      }
    }
  }
}

// bf16 on the portable kernels as the planner chooses (sell16x2 for small batches, tcsrx2 from
// LayerPlanInfo::batch_kernel_from), on every CPU.
TEST(EngineLayouts, bf16_on_the_portable_kernels_planner_choice) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (std::int64_t batch : {1, 5, 13, 14, 40}) {
    for (int round = 0; round < 6; ++round) {
      EngineTester()
          .rows(static_cast<std::int64_t>(1 + rng.below(300))).cols(static_cast<std::int64_t>(1 + rng.below(600)))
          .density(rng.uniform()).bits(static_cast<int>(2 + rng.below(5))).bias(rng.below(2) == 1)
          .activation_density(rng.uniform()).batch(batch).threads(static_cast<int>(1 + rng.below(3)))
          .kernel(KernelIsa::scalar).precision(Precision::bf16).relu(rng.below(2) == 1)
          .signed_inputs(rng.below(2) == 1).test(rng.next());
    }
  }
  EngineOptions options;
  options.kernel = KernelIsa::scalar;
  options.precision = Precision::bf16;
  const LayerPlanInfo plan =
      Engine({LayerTester().rows(64).cols(80).density(0.2).bits(4).build(seed())}, options).plan_info()[0];
  EXPECT_EQ(plan.kernel, "spmv_sell16x2_cb16__scalar");
  EXPECT_EQ(plan.batch_kernel, "spmm_tcsrx2_cb16__scalar");
}

TEST(EngineLayouts, names_round_trip_and_unknown_is_refused) {
  for (Layout layout : {Layout::automatic, Layout::sell16, Layout::sell16x2, Layout::sell16x4, Layout::tcsr,
                        Layout::csr16, Layout::csc}) {
    EXPECT_EQ(parse_layout(layout_name(layout)), layout);
  }
  expect_error([] { parse_layout("ell"); }, {"layout 'ell' is not one of auto, sell16"});
}

EngineOptions options_forcing(Layout layout, Precision precision = Precision::fp32) {
  EngineOptions options;
  options.layout = layout;
  options.precision = precision;
  return options;
}

TEST(EngineLayouts, a_layer_that_cannot_take_the_layout_is_named) {
  SCOPED_TRACE(seed_trace());
  CompressedLayer wide = LayerTester().rows(20).cols(30).density(0.5).bits(8).build(seed());
  wide.name = "fc6";
  for (Layout layout : {Layout::sell16, Layout::sell16x2, Layout::sell16x4}) {
    const Precision precision = layout == Layout::sell16x2   ? Precision::bf16
                                : layout == Layout::sell16x4 ? Precision::int8
                                                             : Precision::fp32;
    const bool runs = layout == Layout::sell16x4 ? precision_runs_on(precision, KernelIsa::avx512)
                                                 : precision_available(precision);
    if (!runs) continue;
    expect_error([&] { Engine({wide}, options_forcing(layout, precision)); },
                          {std::string("engine: layer 'fc6': layout ") + layout_name(layout) +
                              " needs a codebook of at most 64 entries; it has 256"});
  }
  if (precision_runs_on(Precision::int8, KernelIsa::avx512)) {
    const CompressedLayer long_input = LayerTester().rows(4).cols(70000).density(0.001).bits(4).build(seed());
    expect_error([&] { Engine({long_input}, options_forcing(Layout::sell16x4, Precision::int8)); },
                          {"layout sell16x4 needs at most 65536 inputs; it has 70000"});
  }
}

TEST(EngineLayouts, a_layout_needs_its_precision_and_its_instructions) {
  SCOPED_TRACE(seed_trace());
  const CompressedLayer layer = LayerTester().rows(20).cols(30).density(0.5).bits(4).build(seed());
  // The fp32 layouts refuse a reduced precision (where the CPU has it; else the precision itself is refused).
  if (precision_available(Precision::int8)) {
    expect_error([&] { Engine({layer}, options_forcing(Layout::tcsr, Precision::int8)); },
                          {"engine: layout tcsr needs precision fp32, not precision int8"});
  }
  for (Layout layout : {Layout::sell16x2, Layout::sell16x4}) {
    const Precision needed = layout == Layout::sell16x2 ? Precision::bf16 : Precision::int8;
    const std::string head = std::string("engine: layout ") + layout_name(layout) + " needs precision " +
                             precision_name(needed);
    const bool runs = layout == Layout::sell16x2 ? precision_available(needed)
                                                 : precision_runs_on(needed, KernelIsa::avx512);
    if (!runs) {
      expect_error([&] { Engine({layer}, options_forcing(layout)); },
                            {head + " and the " +
                             (layout == Layout::sell16x2 ? "AVX-512 BF16" : "AVX-512 VNNI and VBMI") +
                             " instructions; this "});
      continue;
    }
    expect_error([&] { Engine({layer}, options_forcing(layout)); }, {head + ", not precision fp32"});
    if (kernel_isa_available(KernelIsa::avx2)) {
      EngineOptions options = options_forcing(layout, needed);
      options.kernel = KernelIsa::avx2;
      expect_error([&] { Engine({layer}, options); }, {"not on the forced kernel 'avx2'"});
    }
  }
}

// The plan reports the kernel that runs: the portable sell16 where the ISA has none for the codebook.
TEST(EngineLayouts, plan_names_the_dispatched_kernel) {
  SCOPED_TRACE(seed_trace());
  const CompressedLayer small = LayerTester().rows(40).cols(50).density(0.3).bits(4).build(seed());
  const CompressedLayer cb64 = LayerTester().rows(40).cols(50).density(0.3).bits(6).build(seed());
  EngineOptions options = options_forcing(Layout::sell16);
  options.kernel = KernelIsa::scalar;
  EXPECT_EQ(Engine({small}, options).plan_info()[0].kernel, "spmv_sell16_cb16__scalar");
  if (kernel_isa_available(KernelIsa::avx2)) {
    options.kernel = KernelIsa::avx2;
    EXPECT_EQ(Engine({small}, options).plan_info()[0].kernel, "spmv_sell16_cb16__avx2");
    EXPECT_EQ(Engine({cb64}, options).plan_info()[0].kernel, "spmv_sell16_cb64__scalar");
  }
  options = options_forcing(Layout::tcsr);
  options.kernel = KernelIsa::scalar;
  const LayerPlanInfo tcsr = Engine({small}, options).plan_info()[0];
  EXPECT_EQ(tcsr.kernel, "spmm_tcsr_cb16__scalar");
  EXPECT_EQ(tcsr.batch_kernel_from, 1);
  options = options_forcing(Layout::csc);
  options.max_batch = 1;
  const LayerPlanInfo csc = Engine({small}, options).plan_info()[0];
  EXPECT_EQ(csc.kernel, "spmv_csc__scalar");
  EXPECT_TRUE(csc.sparse_kernel_runs(1, 1.0));
}

// The kernel list (src/engine/kernels/dispatch.cpp): every layout but sell16x4 has a portable kernel, which is
// what a forced layout runs on an ISA without its own, so that its tests run on every machine (sell16x4's int8
// work runs as sell16 in int8 there). An ISA's own kernel serves only the codebooks it decodes.
TEST(EngineLayouts, kernel_list_has_a_portable_kernel_per_layout) {
  using engine::LayoutId;
  for (LayoutId id : {LayoutId::csr16, LayoutId::sell16, LayoutId::sell16i8, LayoutId::sell16x2, LayoutId::tcsr,
                      LayoutId::tcsrx2, LayoutId::csc}) {
    const engine::KernelEntry* kernel = engine::kernel_or_portable(id, KernelIsa::automatic, 16);
    ASSERT_NE(kernel, nullptr) << static_cast<int>(id);
    EXPECT_EQ(kernel->layout, id);
    EXPECT_EQ(kernel->isa, KernelIsa::scalar);
    EXPECT_STREQ(kernel->file, "scalar");
    const bool sell = id == LayoutId::sell16 || id == LayoutId::sell16i8 || id == LayoutId::sell16x2;
    const bool tcsr = id == LayoutId::tcsr || id == LayoutId::tcsrx2;
    EXPECT_EQ(kernel->spmv != nullptr, id == LayoutId::csr16);
    EXPECT_EQ(kernel->sell != nullptr, sell);
    EXPECT_EQ(kernel->tcsr != nullptr, tcsr);
    EXPECT_EQ(kernel->csc != nullptr, id == LayoutId::csc);
  }
  for (LayoutId id : {LayoutId::sell16x4, LayoutId::sell16x4c}) {
    EXPECT_EQ(engine::kernel_or_portable(id, KernelIsa::scalar, 16), nullptr) << static_cast<int>(id);
  }
  EXPECT_EQ(engine::own_kernel(LayoutId::sell16, KernelIsa::scalar, 65), nullptr);
  if (EIE_X86_KERNELS) {
    ASSERT_NE(engine::own_kernel(LayoutId::sell16, KernelIsa::avx2, 16), nullptr);
    EXPECT_STREQ(engine::own_kernel(LayoutId::sell16, KernelIsa::avx2, 16)->file, "avx2");
    EXPECT_EQ(engine::own_kernel(LayoutId::sell16, KernelIsa::avx2, 17), nullptr);
    EXPECT_STREQ(engine::kernel_or_portable(LayoutId::sell16, KernelIsa::avx2, 17)->file, "scalar");
    EXPECT_STREQ(engine::own_kernel(LayoutId::sell16x4, KernelIsa::avx512, 64)->file, "avx512vnni");
  }
}

}  // namespace
}  // namespace eie::test
