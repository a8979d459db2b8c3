// Table 1's numbers for a trained model: the size before (every parameter at 32 bits) and after (compress/'s
// per-layer report for the compressed layers, 32 bits a value for what stays dense), and the tables printed by
// `eie train`, the demo and scripts/reproduce-results.
#include <fmt/core.h>

#include "eie/train.h"

namespace eie::train {

EieFile to_eie_file(const TrainResult& result, int index_bits) {
  EieFile file;
  file.model = result.model;
  for (const auto& [name, weight] : file.model.compressed) file.index_bits[name] = index_bits;
  const TrainOptions& o = result.options;
  file.settings = {{"tool", "eie train"},
                   {"model", to_string(o.architecture)},
                   {"method", to_string(o.method)},
                   {"seed", o.seed},
                   {"index_bits", index_bits},
                   {"baseline_error_percent", result.baseline_error},
                   {"final_error_percent", result.final_error}};
  return file;
}

SizeSummary size_summary(const EieFile& file) {
  SizeSummary s;
  s.report = make_report(file);
  for (const auto& [name, t] : file.model.initializers) {
    const std::int64_t bits = 32 * t.numel();
    s.dense_bits += bits;
    s.bits_pq += bits;
    s.bits_pqh += bits;
  }
  for (const LayerReport& layer : s.report.layers) {
    s.dense_bits += layer.dense_bits;
    s.bits_pq += layer.bits_pq;
    s.bits_pqh += layer.bits_pqh;
  }
  return s;
}

std::string format_layer_table(const SizeSummary& summary) {
  std::string out = fmt::format("{:<8}{:>10}{:>10}{:>12}{:>12}{:>12}{:>12}{:>10}{:>10}\n", "layer", "#weights",
                                "kept(P)", "wbits P+Q", "wbits +H", "ibits P+Q", "ibits +H", "rate P+Q",
                                "rate +H");
  auto row = [&](const LayerReport& l, const std::string& name) {
    out += fmt::format("{:<8}{:>10}{:>9.1f}%{:>12}{:>12.2f}{:>12}{:>12.2f}{:>9.1f}x{:>9.1f}x\n", name, l.weights,
                       100.0 * l.density, l.weight_bits, l.weight_bits_huffman, l.index_bits, l.index_bits_huffman,
                       l.ratio_pq, l.ratio_pqh);
  };
  for (const LayerReport& l : summary.report.layers) row(l, l.name);
  if (summary.report.layers.size() > 1) row(summary.report.total, "total");
  out += fmt::format("whole model (biases and dense layers at 32 bits): {:.1f} KB -> {:.2f} KB (P+Q, {:.1f}x), "
                     "{:.2f} KB (P+Q+H, {:.1f}x)\n",
                     static_cast<double>(summary.dense_bits) / 8000.0, static_cast<double>(summary.bits_pq) / 8000.0,
                     summary.ratio_pq(), static_cast<double>(summary.bits_pqh) / 8000.0, summary.ratio_pqh());
  return out;
}

std::string format_phases(const TrainResult& result) {
  std::string out = fmt::format("{:<22}{:>12}{:>10}{:>10}\n", "phase", "test error", "kept", "seconds");
  for (const PhaseResult& p : result.phases) {
    out += fmt::format("{:<22}{:>11.2f}%{:>9.1f}%{:>10.1f}\n", p.name, p.test_error, 100.0 * p.density, p.seconds);
  }
  out += fmt::format("{:<22}{:>11.2f}%{:>10}{:>10.1f}\n", "as stored (.eie)", result.final_error, "",
                     result.seconds);
  return out;
}

}  // namespace eie::train
