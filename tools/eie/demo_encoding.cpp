// Demo section: the canonical layer and the paper's 64-PE encoding of an AlexNet FC7-sized layer, checked
// against the dense product.
#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/core.h>

#include "command.h"
#include "eie/core.h"

namespace eie::cli {
namespace {

const DemoSection section(10, "The EIE format: AlexNet FC7's shape on 64 PEs", [](DemoContext& ctx) {
  const PaperLayer& fc7 = paper_benchmark_layer("Alex-7");
  SyntheticLayerSpec spec{.name = fc7.name, .rows = fc7.rows, .cols = fc7.cols,
                          .density = fc7.weight_density, .bits = 4, .bias = false, .seed = ctx.seed};
  if (ctx.quick) spec.rows = spec.cols = 512;
  const CompressedLayer layer = synthetic_layer(spec);
  const int num_pes = 64;
  const EieEncoding enc = encode_eie(layer, num_pes);
  const EncodingStats stats = encoding_stats(enc);

  fmt::print("Layer {}: {} x {} (outputs x inputs), {:.2f}% of weights kept, 4-bit codes into a 16-entry "
             "codebook\n", layer.name, layer.rows, layer.cols, 100.0 * layer.density());
  fmt::print("Encoded for {} PEs (row i on PE i mod {}), 4-bit relative indices. Entries per PE "
             "(real + padding):\n", num_pes, num_pes);
  for (int k = 0; k < num_pes; ++k) {
    const PeStats& pe = stats.pes[static_cast<std::size_t>(k)];
    fmt::print("  PE{:<3}{:>7} +{:>4}{}", k, pe.real_entries, pe.padding_entries, k % 4 == 3 ? "\n" : "  ");
  }
  const auto [lo, hi] = std::minmax_element(stats.pes.begin(), stats.pes.end(), [](const auto& a, const auto& b) {
    return a.real_entries + a.padding_entries < b.real_entries + b.padding_entries;
  });
  fmt::print("Entries: {} real + {} padding ({:.2f}% padding); per PE min {} max {}; load imbalance "
             "(max/mean) {:.3f}\n", stats.real_entries, stats.padding_entries, 100.0 * stats.padding_fraction(),
             lo->real_entries + lo->padding_entries, hi->real_entries + hi->padding_entries, stats.imbalance);
  fmt::print("Storage: {:.2f} MiB encoded ({}-bit pointers) vs {:.2f} MiB dense fp32: {:.1f}x smaller\n",
             stats.bytes / 1048576.0, stats.pointer_bits, stats.dense_fp32_bytes / 1048576.0,
             static_cast<double>(stats.dense_fp32_bytes) / static_cast<double>(stats.bytes));

  const std::vector<float> x = synthetic_activations(layer.cols, fc7.activation_density, ctx.seed + 1);
  const auto nonzero = std::count_if(x.begin(), x.end(), [](float v) { return v != 0.0f; });
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<double> y = reference_spmv(enc, x);
  const auto t1 = std::chrono::steady_clock::now();
  const std::vector<double> y_dense = dense_reference(layer.rows, layer.cols, layer.to_dense(), x);
  double max_rel = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    max_rel = std::max(max_rel, std::fabs(y[i] - y_dense[i]) / std::max(1.0, std::fabs(y_dense[i])));
  }
  fmt::print("Reference M x V on an input with {} of {} activations non-zero ({:.1f}%): {:.1f} ms "
             "(scalar, the specification), max relative difference from the dense product {:.1e} {}\n",
             nonzero, x.size(), 100.0 * static_cast<double>(nonzero) / static_cast<double>(x.size()),
             std::chrono::duration<double, std::milli>(t1 - t0).count(), max_rel, max_rel < 1e-12 ? "(exact)" : "");
  if (max_rel > 1e-6) throw std::runtime_error("reference M x V disagrees with the dense product");
  ctx.put("alex7_layer", layer);
});

}  // namespace
}  // namespace eie::cli
