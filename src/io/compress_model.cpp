// A whole model into an .eie file: compress/'s compress_weights, then what the container records of it (index
// bits per weight, the options and each weight's outcome as settings) and the report.
#include <fmt/core.h>

#include "eie/io.h"

namespace eie {
namespace {

std::string rules_text(const LayerRules& rules) {
  std::string out;
  for (const LayerRule& r : rules.rules()) out += fmt::format("{}{}={}", out.empty() ? "" : ",", r.pattern, r.value);
  return out;
}

nlohmann::json outcome_json(const WeightOutcome& w) {
  if (w.imported) return {{"imported", true}, {"bits", w.bits}, {"index_bits", w.index_bits}};
  return {{"prune", w.prune.mode == PruneMode::quality ? "quality" : "density"}, {"quality", w.prune.quality},
          {"target_density", w.prune.density}, {"threshold", w.threshold}, {"bits", w.bits},
          {"index_bits", w.index_bits}, {"kmeans_iterations", w.kmeans_iterations},
          {"kmeans_converged", w.kmeans_converged}, {"wcss", w.wcss}};
}

}  // namespace

EieFile compress_model(Model model, const ModelCompressionOptions& options, const CompressionProgress& progress) {
  ModelCompression compressed = compress_weights(std::move(model), options, progress);
  EieFile file;
  nlohmann::json layers = nlohmann::json::object();
  for (const WeightOutcome& w : compressed.weights) {
    layers[w.name] = outcome_json(w);
    file.index_bits[w.name] = w.index_bits;
  }
  file.settings = {{"density", rules_text(options.density)}, {"quality", rules_text(options.quality)},
                   {"bits", rules_text(options.bits)}, {"index_bits", rules_text(options.index_bits)},
                   {"default_density", options.default_density}, {"init", to_string(options.init)},
                   {"seed", options.seed}, {"max_iterations", options.max_iterations},
                   {"recluster", options.recluster}, {"import_distinct", options.import_distinct}, {"layers", layers}};
  file.model = std::move(compressed.model);
  file.report = make_report(file);
  return file;
}

std::vector<std::string> imported_weights(const EieFile& file) {
  std::vector<std::string> names;
  for (const LayerReport& r : file.report.layers) {
    const auto it = file.model.compressed.find(r.name);
    if (it != file.model.compressed.end() && it->second.layer.provenance.method == "imported") names.push_back(r.name);
  }
  return names;
}

}  // namespace eie
