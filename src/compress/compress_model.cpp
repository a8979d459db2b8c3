// The model-level loop of Deep Compression without retraining: every weight slot of the model is pruned and
// quantized by compress_layer with its own settings (glob rules per layer name) and replaces its dense
// initializer; biases and every other tensor stay dense. A weight already pruned and clustered elsewhere is
// taken as it is (import_clustered) unless the options ask to re-cluster everything.
#include <fmt/core.h>

#include "eie/compress.h"

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

bool is_conv(const WeightSlot& slot, const Model& model) {
  if (!slot.op_type.empty()) return slot.op_type == "Conv";
  return model.initializers.at(slot.name).shape.size() > 2;
}

}  // namespace

ModelCompression compress_weights(Model model, const ModelCompressionOptions& options,
                                  const CompressionProgress& progress) {
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

  ModelCompression result;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const WeightSlot& slot = slots[i];
    if (progress) progress(i, slots.size(), slot.name);
    const bool conv = is_conv(slot, model);
    WeightOutcome outcome;
    outcome.name = slot.name;
    const auto index_bits = options.index_bits.lookup(slot.name).value_or(conv ? kConvIndexBits : kFcIndexBits);
    if (index_bits < 1 || index_bits > 8 || index_bits != static_cast<int>(index_bits)) {
      throw Error(fmt::format("--index-bits: layer '{}': index bits must be an integer in 1..8, got {}", slot.name,
                              index_bits));
    }
    outcome.index_bits = static_cast<int>(index_bits);
    const std::optional<double> bits_rule = options.bits.lookup(slot.name);
    const std::vector<float> weights = weight_matrix(model.initializers.at(slot.name), slot.layout);
    std::optional<CompressedLayer> layer;
    if (!options.recluster) {
      layer = import_clustered(slot.name, slot.rows, slot.cols, weights, bits_rule ? static_cast<int>(*bits_rule) : 8,
                               /*smallest_bits=*/!bits_rule, options.import_distinct);
    }
    if (layer) {
      outcome.imported = true;
      outcome.bits = layer->codebook.bits();
      outcome.kmeans_converged = true;
    } else {
      LayerSettings settings;
      if (const auto q = options.quality.lookup(slot.name)) {
        settings.prune = {.mode = PruneMode::quality, .quality = *q, .density = 1.0};
      } else {
        settings.prune = {.mode = PruneMode::density, .quality = 0.0,
                          .density = options.density.lookup(slot.name).value_or(options.default_density)};
      }
      settings.bits = static_cast<int>(bits_rule.value_or(conv ? 8 : 4));
      settings.init = options.init;
      settings.seed = options.seed;
      settings.max_iterations = options.max_iterations;
      settings.threads = options.threads;
      LayerStats stats;
      layer = compress_layer(slot.name, slot.rows, slot.cols, weights, {}, settings, &stats);
      outcome.prune = settings.prune;
      outcome.threshold = stats.threshold;
      outcome.bits = settings.bits;
      outcome.kmeans_iterations = stats.iterations;
      outcome.kmeans_converged = stats.converged;
      outcome.wcss = stats.wcss;
    }
    model.compress_weight(slot, std::move(*layer));
    result.weights.push_back(std::move(outcome));
  }
  if (progress) progress(slots.size(), slots.size(), "");
  result.model = std::move(model);
  return result;
}

}  // namespace eie
