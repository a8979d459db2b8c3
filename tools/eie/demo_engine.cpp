// Demo section: the CPU engine on AlexNet FC7's shape (Table III's Alex-7), eie vs dense OpenBLAS vs Eigen CSR,
// timed in this process. --quick shrinks the layer to 512 x 512 and the timing budget.
#include <fmt/core.h>

#include <algorithm>
#include <thread>

#include "command.h"
#include "eie/core.h"
#include "eie/engine.h"
#include "layer_bench.h"

namespace eie::cli {
namespace {

const DemoSection section(40, "The CPU engine: Alex-7, eie vs dense BLAS vs CSR", [](DemoContext& ctx) {
  const PaperLayer& fc7 = paper_benchmark_layer("Alex-7");
  CompressedLayer layer = paper_layer_weights(fc7, ctx.seed);
  std::int64_t cols = layer.cols;
  if (ctx.quick) {
    SyntheticLayerSpec spec{.name = "Alex-7 (512 x 512)", .rows = 512, .cols = 512, .density = fc7.weight_density,
                            .bits = 4, .bias = false, .seed = ctx.seed};
    layer = synthetic_layer(spec);
    cols = 512;
  }
  const int threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 2u));
  const double budget = ctx.quick ? 0.02 : 0.3;
  fmt::print("Layer {}: {} x {}, {:.1f}% of weights kept, 4-bit codes; inputs {:.1f}% non-zero; {} thread{}, "
             "kernel {}\n", layer.name, layer.rows, layer.cols, 100.0 * layer.density(), 100.0 * fc7.activation_density,
             threads, threads == 1 ? "" : "s", kernel_isa_name(best_kernel_isa()));
  const auto make_input = [&](std::int64_t b) {
    return synthetic_activations(cols, fc7.activation_density, ctx.seed + 1 + static_cast<std::uint64_t>(b));
  };
  double fp32_us[2] = {0.0, 0.0};  // eie's medians at batch 1 and 64, for the bf16 and int8 lines
  const double encoded = static_cast<double>(paper_encoding_bytes(layer));
  const auto memory = [&](const LayerPlanInfo& plan) {
    return fmt::format("{:.2f} MB ({:.2f}x the paper's 64-PE EIE encoding", plan.resident_bytes / 1e6,
                       static_cast<double>(plan.resident_bytes) / encoded);
  };
  for (std::int64_t batch : {std::int64_t{1}, std::int64_t{64}}) {
    const LayerComparison c = compare_layer(layer, make_input, batch, threads, KernelIsa::automatic, budget);
    fmt::print("  batch {:>2}: eie {:>9.1f} us | dense OpenBLAS {:>9.1f} us ({:.1f}x slower) | Eigen CSR {:>9.1f} us "
               "({:.1f}x slower) | max difference from dense {:.1e} | {}\n", batch, c.eie.median_us,
               c.dense.median_us, c.dense.median_us / c.eie.median_us, c.csr.median_us,
               c.csr.median_us / c.eie.median_us, c.max_error, c.plan.kernel_for(batch));
    if (c.max_error > 1e-3) throw std::runtime_error("the engine disagrees with the dense product");
    fp32_us[batch == 1 ? 0 : 1] = c.eie.median_us;
    if (batch == 1) {
      fmt::print("  memory: eie's planned layout {}, {:.2f} MB), CSR {:.2f} MB, dense fp32 {:.2f} MB\n",
                 memory(c.plan), encoded / 1e6, c.csr_bytes / 1e6, c.dense_bytes / 1e6);
    }
  }
  // The EIE chip computes in 16-bit fixed point. precision bf16 rounds inputs and weights to bfloat16 and sums in
  // fp32, its kernels taking two entries of a row per instruction; int8 quantizes them to 8 bits and sums exactly
  // in int32, four entries per instruction on AVX-512 VNNI (sell16x4), one per byte lane on AVX2 (sell16 in int8).
  for (Precision precision : {Precision::bf16, Precision::int8}) {
    const char* name = precision_name(precision);
    if (!precision_available(precision)) {
      fmt::print("  precision {}: not shown, this CPU lacks the {} instructions\n", name, precision_instructions(precision));
      continue;
    }
    for (std::int64_t batch : {std::int64_t{1}, std::int64_t{64}}) {
      const LayerComparison c =
          compare_layer(layer, make_input, batch, threads, KernelIsa::automatic, budget, false, precision);
      if (c.max_error_of_scale > 1.0 / 32) {
        throw std::runtime_error(fmt::format("the {} engine disagrees with the dense product", name));
      }
      const double fp32 = fp32_us[batch == 1 ? 0 : 1];
      fmt::print("  precision {}, batch {:>2}: eie {:.1f} us ({:.2f}x faster than fp32's {:.1f} us above) | dense "
                 "{:.1f} us ({:.1f}x slower) | max difference from dense {:.1e} of the largest output | {}\n", name,
                 batch, c.eie.median_us, fp32 / c.eie.median_us, fp32, c.dense.median_us,
                 c.dense.median_us / c.eie.median_us, c.max_error_of_scale, c.eie_kernel());
      if (batch == 1) fmt::print("    memory: {})\n", memory(c.plan));
    }
    if (precision == Precision::int8 && precision_runs_on(Precision::int8, KernelIsa::avx512)) {
      // Compact codes (sell16x4's; sell16 in int8 on AVX2 has no compact form): two bits of each code in its
      // slot's spare bits. The planner takes them where the layout
      // would exceed 1.5x the EIE encoding or 6 MB; EngineOptions::compact_codes everywhere.
      const LayerComparison c =
          compare_layer(layer, make_input, 1, threads, KernelIsa::automatic, budget, false, precision, true);
      if (c.max_error_of_scale > 1.0 / 32) throw std::runtime_error("the compact int8 engine disagrees with dense");
      fmt::print("  precision int8 with compact codes, batch  1: eie {:.1f} us | memory {}) | {}\n", c.eie.median_us,
                 memory(c.plan), c.eie_kernel());
    }
  }
  if (!ctx.quick) fmt::print("  (the EIE chip runs Alex-7 at batch 1 in 12.2 us with 64 PEs, 16-bit fixed point)\n");
  // EIE's other sparsity: with skip_zero_activations a sparse enough input runs on csc, which visits only the
  // non-zero activations. 5% non-zero (a sparse layer's input) is below the break-even of every kernel.
  constexpr double sparse = 0.05;
  const auto sparse_input = [&](std::int64_t b) {
    return synthetic_activations(cols, sparse, ctx.seed + 1 + static_cast<std::uint64_t>(b));
  };
  const LayerComparison usual = compare_layer(layer, sparse_input, 1, threads, KernelIsa::automatic, budget);
  const LayerComparison skipping = compare_layer(layer, sparse_input, 1, threads, KernelIsa::automatic, budget, true);
  if (skipping.max_error > 1e-3) throw std::runtime_error("the activation-skipping kernel disagrees with the dense product");
  fmt::print("  inputs {:.0f}% non-zero, batch 1: eie {:.1f} us on {} | with skip_zero_activations {:.1f} us on {} "
             "(visits only the non-zero activations; break-even {:.0f}%; +{:.2f} MB) | dense {:.1f} us | CSR {:.1f} us\n",
             100 * sparse, usual.eie.median_us, usual.eie_kernel(), skipping.eie.median_us, skipping.eie_kernel(),
             100 * skipping.plan.sparse_kernel_below, skipping.plan.csc_bytes / 1e6, skipping.dense.median_us,
             skipping.csr.median_us);
  fmt::print("  (medians of warm runs; `eie bench --suite eie-paper` runs all nine layers)\n");
});

}  // namespace
}  // namespace eie::cli
