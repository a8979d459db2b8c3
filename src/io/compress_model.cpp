// The model-level loop of Deep Compression without retraining: every weight slot of the model is pruned and
// quantized by compress/'s compress_layer with its own settings (glob rules per layer name) and replaces its
// dense initializer; biases and every other tensor stay dense.
#include <fmt/core.h>

#include "eie/io.h"

namespace eie {

const char* to_string(KmeansInit init) {
  switch (init) {
    case KmeansInit::linear: return "linear";
    case KmeansInit::density: return "density";
    case KmeansInit::random: return "random";
  }
  return "linear";
}

KmeansInit parse_kmeans_init(const std::string& name, const std::string& option) {
  for (const KmeansInit init : {KmeansInit::linear, KmeansInit::density, KmeansInit::random}) {
    if (name == to_string(init)) return init;
  }
  throw Error(fmt::format("{}: unknown k-means initialisation '{}' (known: linear, density, random)", option, name));
}

namespace {

std::string rules_text(const LayerRules& rules) {
  std::string out;
  for (const LayerRule& r : rules.rules()) out += fmt::format("{}{}={}", out.empty() ? "" : ",", r.pattern, r.value);
  return out;
}

bool is_conv(const WeightSlot& slot, const Model& model) {
  if (!slot.op_type.empty()) return slot.op_type == "Conv";
  return model.initializers.at(slot.name).shape.size() > 2;
}

}  // namespace

EieFile compress_model(Model model, const ModelCompressionOptions& options, const CompressionProgress& progress) {
  const std::vector<WeightSlot> slots = model.weight_slots();
  if (slots.empty()) {
    throw Error(fmt::format("model '{}' has no compressible layer (a weight of a Gemm, MatMul, Conv or LSTM node, "
                            "or a tensor of rank >= 2)", model.name));
  }
  std::vector<std::string> names;
  for (const WeightSlot& s : slots) names.push_back(s.name);
  options.density.check_all_match(names, "--density");
  options.quality.check_all_match(names, "--quality");
  options.bits.check_all_match(names, "--bits");
  options.index_bits.check_all_match(names, "--index-bits");

  EieFile file;
  nlohmann::json layers = nlohmann::json::object();
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const WeightSlot& slot = slots[i];
    if (progress) progress(i, slots.size(), slot.name);
    const bool conv = is_conv(slot, model);
    LayerSettings settings;
    if (const auto q = options.quality.lookup(slot.name)) {
      settings.prune = {.mode = PruneMode::quality, .quality = *q, .density = 1.0};
    } else {
      settings.prune = {.mode = PruneMode::density, .quality = 0.0,
                        .density = options.density.lookup(slot.name).value_or(options.default_density)};
    }
    settings.bits = static_cast<int>(options.bits.lookup(slot.name).value_or(conv ? 8 : 4));
    const auto index_bits = options.index_bits.lookup(slot.name).value_or(conv ? kConvIndexBits : kFcIndexBits);
    if (index_bits < 1 || index_bits > 8 || index_bits != static_cast<int>(index_bits)) {
      throw Error(fmt::format("--index-bits: layer '{}': index bits must be an integer in 1..8, got {}", slot.name,
                              index_bits));
    }
    settings.init = options.init;
    settings.seed = options.seed;
    settings.max_iterations = options.max_iterations;
    settings.threads = options.threads;
    const Tensor& tensor = model.initializers.at(slot.name);
    LayerStats stats;
    CompressedLayer layer = compress_layer(slot.name, slot.rows, slot.cols, weight_matrix(tensor, slot.layout), {},
                                           settings, &stats);
    layers[slot.name] = {{"prune", settings.prune.mode == PruneMode::quality ? "quality" : "density"},
                         {"quality", settings.prune.quality}, {"target_density", settings.prune.density},
                         {"threshold", stats.threshold}, {"bits", settings.bits}, {"index_bits", index_bits},
                         {"kmeans_iterations", stats.iterations}, {"kmeans_converged", stats.converged},
                         {"wcss", stats.wcss}};
    model.compress_weight(slot, std::move(layer));
    file.index_bits[slot.name] = static_cast<int>(index_bits);
  }
  if (progress) progress(slots.size(), slots.size(), "");
  file.settings = {{"density", rules_text(options.density)}, {"quality", rules_text(options.quality)},
                   {"bits", rules_text(options.bits)}, {"index_bits", rules_text(options.index_bits)},
                   {"default_density", options.default_density}, {"init", to_string(options.init)},
                   {"seed", options.seed}, {"max_iterations", options.max_iterations}, {"layers", layers}};
  file.model = std::move(model);
  file.report = make_report(file);
  return file;
}

}  // namespace eie
