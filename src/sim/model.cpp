// The M x V layers of a compressed model as the simulator runs them, and the whole model's simulation (the
// library side of `eie sim FILE.eie` and of the Python module's Model.simulate).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <set>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "eie/sim.h"

namespace eie::sim {
namespace {

// The bias added to an FC node's output: Gemm's C (times beta), or a constant Add right after a MatMul.
std::vector<float> fc_bias(const Model& model, const Node& node, std::int64_t rows) {
  std::optional<Tensor> bias;
  float scale = 1.0f;
  if (node.op_type == "Gemm" && node.inputs.size() > 2 && !node.inputs[2].empty()) {
    bias = model.constant(node.inputs[2]);
    scale = node.attr_float("beta", 1.0f);
  } else if (node.op_type == "MatMul") {
    for (const Node& next : model.nodes) {
      if (next.op_type != "Add" || next.inputs.size() != 2) continue;
      for (int k = 0; k < 2; ++k) {
        if (next.inputs[k] == node.outputs[0]) bias = model.constant(next.inputs[1 - k]);
      }
    }
  }
  if (!bias) return {};
  if (bias->numel() != rows && bias->numel() != 1) return {};  // not a per-output bias (broadcast over batch)
  std::vector<float> out(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) out[static_cast<std::size_t>(r)] = scale * bias->data[bias->numel() == 1 ? 0 : r];
  return out;
}

}  // namespace

int SimulatedModel::weight_bits() const {
  int bits = 1;
  for (const auto* list : {&chain, &standalone}) {
    for (const CompressedLayer& layer : *list) bits = std::max(bits, layer.codebook.bits());
  }
  return bits;
}

Config fit_to_model(Config config, const SimulatedModel& model) {
  const int bits = model.weight_bits();
  if (bits <= config.weight_bits) return config;
  const int entries_per_line = config.sram_width_bits / (config.weight_bits + config.index_bits);
  config.weight_bits = bits;
  config.sram_width_bits = entries_per_line * (bits + config.index_bits);
  config.validate();
  return config;
}

SimulatedModel simulated_layers(const Model& model, const std::string& what) {
  // (weight, consuming node) in graph order; a graph-less model's weights stand alone, in name order. Between
  // two FC layers of the chain the graph must apply ReLU (what the accelerator does between layers); the ops
  // in between are collected per use.
  struct Use {
    std::string weight;
    const Node* node;
    std::vector<const Node*> before;  // the non-weight nodes since the previous FC node
  };
  std::vector<Use> uses;
  std::set<std::string> seen;
  std::vector<const Node*> between;
  for (const Node& node : model.nodes) {
    const bool fc = (node.op_type == "Gemm" || node.op_type == "MatMul") && node.inputs.size() > 1 &&
                    (model.compressed.count(node.inputs[1]) || model.initializers.count(node.inputs[1]));
    if (fc) {
      uses.push_back({node.inputs[1], &node, std::move(between)});  // dense weights too: they break the chain
      between.clear();
      seen.insert(node.inputs[1]);
      continue;
    }
    bool weight = false;
    for (const std::string& input : node.inputs) {
      if (model.compressed.count(input) && seen.insert(input).second) {
        uses.push_back({input, &node, {}});
        weight = true;
      }
    }
    if (!weight) between.push_back(&node);
  }
  for (const auto& [name, compressed] : model.compressed) {
    if (!seen.count(name)) uses.push_back({name, nullptr, {}});
  }

  SimulatedModel out;
  std::vector<std::string> chain_ops;  // the op type of each chain layer
  std::string dense_fc;  // a dense FC node seen after the chain started
  std::string dense_error;  // a chain interrupted by it: an error unless the graph is no chain anyway
  for (const auto& [name, node, before] : uses) {
    const bool fc = node && (node->op_type == "Gemm" || node->op_type == "MatMul");
    const auto it = model.compressed.find(name);
    if (it == model.compressed.end()) {
      if (!out.chain.empty() && dense_fc.empty()) dense_fc = node->name;
      continue;
    }
    CompressedLayer layer = it->second.layer;
    if (!fc) {
      out.standalone.push_back(std::move(layer));
      out.standalone_ops.push_back(node ? node->op_type : "no graph");
      continue;
    }
    if (!dense_fc.empty() && dense_error.empty()) {
      dense_error = fmt::format("{}: node '{}' is not compressed, so activations cannot flow from '{}' to '{}' on "
                                "the accelerator (compress every fully connected layer)",
                                what, dense_fc, out.chain.back().name, layer.name);
    }
    if (node->op_type == "Gemm") {
      const float alpha = node->attr_float("alpha", 1.0f);
      if (alpha != 1.0f) {
        std::vector<float> values = layer.codebook.values();
        for (float& v : values) v *= alpha;
        layer.codebook = Codebook(std::move(values), layer.codebook.bits(), layer.codebook.zero_reserved());
      }
    }
    if (!out.chain.empty() && out.chain_broken.empty()) {
      int relus = 0;
      for (const Node* op : before) {
        static const std::set<std::string> passive = {"Add", "Flatten", "Reshape", "Dropout", "Identity"};
        if (op->op_type == "Relu") {
          ++relus;
        } else if (!passive.count(op->op_type) && out.chain_broken.empty()) {
          out.chain_broken = fmt::format("node '{}' ({}) lies between '{}' and '{}'; the accelerator applies only "
                                         "ReLU between layers", op->name, op->op_type, out.chain.back().name,
                                         layer.name);
        }
      }
      if (relus != 1 && out.chain_broken.empty()) {
        out.chain_broken = fmt::format("{} ReLU nodes between '{}' and '{}'; the accelerator applies exactly one",
                                       relus, out.chain.back().name, layer.name);
      }
    }
    layer.bias = fc_bias(model, *node, layer.rows);
    chain_ops.push_back(node->op_type);
    out.chain.push_back(std::move(layer));
  }
  if (out.chain_broken.empty() && !dense_error.empty()) throw Error(dense_error);
  // Not a chain: every FC layer stands alone, in graph order, before the other weights.
  if (!out.chain_broken.empty()) {
    out.standalone.insert(out.standalone.begin(), std::make_move_iterator(out.chain.begin()),
                          std::make_move_iterator(out.chain.end()));
    out.standalone_ops.insert(out.standalone_ops.begin(), chain_ops.begin(), chain_ops.end());
    out.chain.clear();
  }
  if (out.chain.empty() && out.standalone.empty()) throw Error(what + ": the model has no compressed weight to simulate");
  return out;
}

namespace {

// An input (or an output to write) feeds the model's chain of FC layers. A model without one takes it only when
// it holds a single weight and no graph (compressed from .npy or safetensors): that weight is then the chain,
// one M x V. Any other model refuses it rather than ignore it. Returns whether the single weight became the
// chain. `io` names what was given ("--input", "--output", "--input and --output"; "" for nothing).
bool chain_for_input(const std::string& what, const std::string& io, SimulatedModel& layers) {
  if (!layers.chain.empty() || io.empty()) return false;
  const bool both = io.find(" and ") != std::string::npos;
  if (!layers.chain_broken.empty()) {
    throw Error(fmt::format("{}: {}; {} {} a chain of fully connected layers (without {} each runs as one M x V on "
                            "a synthetic input)", what, layers.chain_broken, io, both ? "need" : "needs", io));
  }
  const bool graphless = !layers.standalone_ops.empty() && layers.standalone_ops.front() == "no graph";
  if (graphless && layers.standalone.size() == 1) {
    layers.chain.push_back(std::move(layers.standalone.front()));
    layers.standalone.clear();
    layers.standalone_ops.clear();
    return true;
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < layers.standalone.size(); ++i) {
    names.push_back(graphless ? layers.standalone[i].name
                              : fmt::format("{} ({})", layers.standalone[i].name, layers.standalone_ops[i]));
  }
  if (graphless) {
    throw Error(fmt::format("{}: {} {} a model with a graph or with one weight; this one has {} weights and no "
                            "graph to order them ({})", what, io, both ? "need" : "needs", names.size(),
                            fmt::join(names, ", ")));
  }
  throw Error(fmt::format("{}: {} {} the model's fully connected layers, and it has none ({}); without {} each "
                          "weight runs on a synthetic input", what, io, both ? "feed" : "feeds",
                          fmt::join(names, ", "), io));
}

}  // namespace

ModelSimulation simulate_model(const Model& model, const std::string& what, const ModelSimulationOptions& options) {
  SimulatedModel layers = simulated_layers(model, what);
  ModelSimulation out;
  out.single_weight = chain_for_input(what, options.chain_io, layers);
  out.chain_broken = layers.chain_broken;
  out.config = options.fit_design ? fit_to_model(options.config, layers) : options.config;
  out.config.validate();
  const FixedFormat format = fixed_format(out.config);
  out.chain_layers = static_cast<std::int64_t>(layers.chain.size());
  if (!layers.chain.empty()) {
    const std::int64_t cols = layers.chain.front().cols;
    std::vector<float> x;
    if (options.input) {
      if (static_cast<std::int64_t>(options.input->size()) != cols) {
        throw Error(fmt::format("{} ({} values); layer '{}' takes {} inputs", options.input_name,
                                options.input->size(), layers.chain.front().name, cols));
      }
      for (const float v : *options.input) {
        if (!std::isfinite(v)) throw Error(fmt::format("{}: holds a NaN or Inf value", options.input_name));
      }
      x = *options.input;
    } else {
      x = synthetic_activations(cols, options.input_density, options.seed);
    }
    out.input_nonzero = std::count_if(x.begin(), x.end(), [](float v) { return v != 0.0f; });
    out.input_size = cols;
    std::vector<const CompressedLayer*> chain;
    for (const CompressedLayer& layer : layers.chain) chain.push_back(&layer);
    const auto t0 = std::chrono::steady_clock::now();
    const NetworkRun run = simulate_network(chain, x, out.config);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // The float model on the same weights (ReLU between), to show what fixed point costs.
    std::vector<float> ref = x;
    for (std::size_t k = 0; k < chain.size(); ++k) {
      const std::vector<double> y = reference_spmv(*chain[k], ref);
      ref.assign(y.begin(), y.end());
      if (k + 1 < chain.size()) {
        for (float& v : ref) v = std::max(v, 0.0f);
      }
    }
    out.output.resize(run.output.size());
    for (std::size_t i = 0; i < out.output.size(); ++i) {
      out.output[i] = static_cast<float>(format.to_double(run.output[i]));
    }
    out.float_output = std::move(ref);
    out.chain = run.report;
    out.layers = run.report.layers;
  }
  for (std::size_t i = 0; i < layers.standalone.size(); ++i) {
    const CompressedLayer& layer = layers.standalone[i];
    const std::vector<float> x = synthetic_activations(layer.cols, options.input_density, options.seed + 1 + i);
    const RunResult run = simulate(layer, x, out.config);
    LayerReport r{.name = layer.name, .config = out.config, .rows = layer.rows, .cols = layer.cols,
                  .stats = run.stats, .energy = energy(run.stats, out.config),
                  .output_matches_reference = run.output == fixed_reference(layer, quantize(x, format), format)};
    if (!r.output_matches_reference) throw std::runtime_error("simulator output differs from the fixed-point reference");
    out.layers.push_back(std::move(r));
    out.standalone_ops.push_back(layers.standalone_ops[i]);
  }
  return out;
}

nlohmann::json to_json(const ModelSimulation& simulation, const std::string& model) {
  nlohmann::json json{{"config", to_json(simulation.config)}, {"model", model}, {"layers", nlohmann::json::array()}};
  for (const LayerReport& r : simulation.layers) json["layers"].push_back(to_json(r));
  if (!simulation.chain_broken.empty()) json["chain_broken"] = simulation.chain_broken;
  return json;
}

}  // namespace eie::sim
