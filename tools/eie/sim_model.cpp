#include "sim_model.h"

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/core.h>

namespace eie::cli {
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

sim::Config fit_to_model(sim::Config config, const SimulatedModel& model) {
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
  std::string dense_fc;  // a dense FC node seen after the chain started
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
    if (!dense_fc.empty()) {
      throw Error(fmt::format("{}: node '{}' is not compressed, so activations cannot flow from '{}' to '{}' on "
                              "the accelerator (compress every fully connected layer)",
                              what, dense_fc, out.chain.back().name, layer.name));
    }
    if (node->op_type == "Gemm") {
      const float alpha = node->attr_float("alpha", 1.0f);
      if (alpha != 1.0f) {
        std::vector<float> values = layer.codebook.values();
        for (float& v : values) v *= alpha;
        layer.codebook = Codebook(std::move(values), layer.codebook.bits(), layer.codebook.zero_reserved());
      }
    }
    if (!out.chain.empty()) {
      int relus = 0;
      for (const Node* op : before) {
        static const std::set<std::string> passive = {"Add", "Flatten", "Reshape", "Dropout", "Identity"};
        if (op->op_type == "Relu") {
          ++relus;
        } else if (!passive.count(op->op_type)) {
          throw Error(fmt::format("{}: node '{}' ({}) lies between '{}' and '{}'; the accelerator applies only ReLU "
                                  "between layers", what, op->name, op->op_type, out.chain.back().name, layer.name));
        }
      }
      if (relus != 1) {
        throw Error(fmt::format("{}: {} ReLU nodes between '{}' and '{}'; the accelerator applies exactly one",
                                what, relus, out.chain.back().name, layer.name));
      }
    }
    layer.bias = fc_bias(model, *node, layer.rows);
    out.chain.push_back(std::move(layer));
  }
  if (out.chain.empty() && out.standalone.empty()) throw Error(what + ": the model has no compressed weight to simulate");
  return out;
}

}  // namespace eie::cli
