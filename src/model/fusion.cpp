#include "model/fusion.h"

namespace eie::fusion {

Readers::Readers(const Model& model) {
  for (std::size_t i = 0; i < model.nodes.size(); ++i) {
    for (const std::string& in : model.nodes[i].inputs) {
      if (!in.empty()) nodes[in].push_back(i);
    }
  }
  for (const ValueInfo& out : model.outputs) graph_outputs.insert(out.name);
}

std::optional<std::size_t> Readers::only(const std::string& name) const {
  const auto it = nodes.find(name);
  if (graph_outputs.count(name) || it == nodes.end() || it->second.size() != 1) return std::nullopt;
  return it->second[0];
}

std::optional<std::size_t> only_reader(const Model& model, const Readers& readers, const std::string& name,
                                       const std::string& op) {
  const std::optional<std::size_t> r = readers.only(name);
  if (!r || model.nodes[*r].op_type != op || model.nodes[*r].outputs.size() != 1) return std::nullopt;
  return r;
}

std::optional<std::string> other_input(const Node& n, const std::string& input) {
  if (n.inputs.size() != 2) return std::nullopt;
  if (n.inputs[0] == input) return n.inputs[1];
  if (n.inputs[1] == input) return n.inputs[0];
  return std::nullopt;
}

std::optional<float> scalar_constant(const Model& model, const std::string& name) {
  const std::optional<Tensor> t = model.constant(name);
  if (!t || t->data.size() != 1) return std::nullopt;
  return t->data[0];
}

std::optional<float> other_scalar(const Model& model, const Node& n, const std::string& input) {
  const std::optional<std::string> other = other_input(n, input);
  return other ? scalar_constant(model, *other) : std::nullopt;
}

}  // namespace eie::fusion
