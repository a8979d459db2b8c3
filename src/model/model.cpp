// Model: which initializers are weights (by the op that consumes them), replacing them by compressed layers,
// and the structural checks every importer and the container reader run before handing a model out.
#include <set>

#include <fmt/core.h>

#include "eie/model.h"

namespace eie {
namespace {

// The slot for `tensor` used as the weight of `node`, or nullopt when this use is not a compressible weight.
std::optional<WeightSlot> slot_for(const Node& node, std::size_t input, const Tensor& tensor) {
  WeightSlot slot;
  slot.name = node.inputs[input];
  slot.node = node.name;
  slot.op_type = node.op_type;
  const auto& s = tensor.shape;
  if (node.op_type == "Gemm" && input == 1 && s.size() == 2) {
    const bool trans_b = node.attr_int("transB", 0) != 0;
    slot.rows = trans_b ? s[0] : s[1];
    slot.cols = trans_b ? s[1] : s[0];
    slot.layout = trans_b ? WeightLayout::rows_first : WeightLayout::transposed;
  } else if (node.op_type == "MatMul" && input == 1 && s.size() == 2) {
    slot.rows = s[1];
    slot.cols = s[0];
    slot.layout = WeightLayout::transposed;
  } else if ((node.op_type == "Conv" && input == 1 && s.size() >= 3) ||
             (node.op_type == "LSTM" && (input == 1 || input == 2) && s.size() == 3)) {
    slot.rows = node.op_type == "LSTM" ? s[0] * s[1] : s[0];
    slot.cols = node.op_type == "LSTM" ? s[2] : tensor.numel() / std::max<std::int64_t>(1, s[0]);
    slot.layout = WeightLayout::rows_first;
  } else {
    return std::nullopt;
  }
  if (slot.rows < 1 || slot.cols < 1) return std::nullopt;
  return slot;
}

}  // namespace

std::vector<WeightSlot> Model::weight_slots() const {
  std::vector<WeightSlot> slots;
  std::set<std::string> seen;
  if (nodes.empty()) {
    for (const auto& [name, tensor] : initializers) {
      if (tensor.shape.size() < 2 || tensor.shape[0] < 1 || tensor.numel() == 0) continue;
      WeightSlot slot;
      slot.name = name;
      slot.rows = tensor.shape[0];
      slot.cols = tensor.numel() / tensor.shape[0];
      slots.push_back(std::move(slot));
    }
    return slots;
  }
  for (const Node& node : nodes) {
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const auto it = initializers.find(node.inputs[i]);
      if (it == initializers.end() || seen.count(it->first)) continue;
      if (auto slot = slot_for(node, i, it->second)) {
        seen.insert(it->first);
        slots.push_back(std::move(*slot));
      }
    }
  }
  return slots;
}

void Model::compress_weight(const WeightSlot& slot, CompressedLayer layer) {
  const auto it = initializers.find(slot.name);
  if (it == initializers.end()) throw Error(fmt::format("model has no dense initializer '{}'", slot.name));
  if (layer.rows != slot.rows || layer.cols != slot.cols) {
    throw Error(fmt::format("weight '{}': compressed layer is {} x {}, expected {} x {}", slot.name, layer.rows,
                            layer.cols, slot.rows, slot.cols));
  }
  layer.name = slot.name;
  CompressedWeight weight;
  weight.layer = std::move(layer);
  weight.shape = it->second.shape;
  weight.layout = slot.layout;
  initializers.erase(it);
  compressed[slot.name] = std::move(weight);
}

std::optional<Tensor> Model::constant(const std::string& name) const {
  if (const auto it = initializers.find(name); it != initializers.end()) return it->second;
  if (const auto it = compressed.find(name); it != compressed.end()) return it->second.to_tensor();
  return std::nullopt;
}

void Model::validate() const {
  std::set<std::string> known;
  for (const auto& [name, tensor] : initializers) {
    if (static_cast<std::size_t>(tensor.numel()) != tensor.data.size()) {
      throw Error(fmt::format("initializer '{}': shape {} needs {} values, has {}", name, shape_string(tensor.shape),
                              tensor.numel(), tensor.data.size()));
    }
    known.insert(name);
  }
  for (const auto& [name, weight] : compressed) {
    if (initializers.count(name)) throw Error(fmt::format("tensor '{}' is both dense and compressed", name));
    if (weight.layer.name != name) {
      throw Error(fmt::format("compressed weight '{}' holds a layer named '{}'", name, weight.layer.name));
    }
    weight.layer.validate();
    const std::int64_t numel = shape_numel(weight.shape);
    const auto& s = weight.shape;
    const bool fits = weight.layout == WeightLayout::transposed
                          ? s.size() == 2 && s[0] == weight.layer.cols && s[1] == weight.layer.rows
                          : !s.empty() && (s[0] == weight.layer.rows || (s.size() == 3 && s[0] * s[1] == weight.layer.rows));
    if (!fits || numel != weight.layer.rows * weight.layer.cols) {
      throw Error(fmt::format("compressed weight '{}': a {} x {} layer does not fit shape {} ({})", name,
                              weight.layer.rows, weight.layer.cols, shape_string(weight.shape),
                              to_string(weight.layout)));
    }
    known.insert(name);
  }
  for (const ValueInfo& input : inputs) {
    if (!known.insert(input.name).second && !initializers.count(input.name)) {
      throw Error(fmt::format("graph input '{}' is declared twice", input.name));
    }
  }
  std::set<std::string> node_names;
  for (const Node& node : nodes) {
    if (!node_names.insert(node.name).second) throw Error(fmt::format("two nodes are named '{}'", node.name));
    for (const std::string& in : node.inputs) {
      if (!in.empty() && !known.count(in)) {
        throw Error(fmt::format("node '{}' ({}): input '{}' is not a graph input, a constant or an earlier "
                                "node's output", node.name, node.op_type, in));
      }
    }
    for (const std::string& out : node.outputs) {
      if (out.empty()) continue;
      if (!known.insert(out).second) {
        throw Error(fmt::format("node '{}' ({}): output '{}' is already defined", node.name, node.op_type, out));
      }
    }
  }
  if (!nodes.empty()) {
    for (const ValueInfo& output : outputs) {
      if (!known.count(output.name)) throw Error(fmt::format("graph output '{}' is never computed", output.name));
    }
  }
}

}  // namespace eie
