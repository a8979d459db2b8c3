// Shape inference: every tensor's shape, node by node, from the graph input shapes. eie plans its buffers and
// kernels from these before running anything, so a shape that depends on run-time data is an error here.
#include "eie/model.h"

#include <fmt/core.h>

namespace eie {

std::map<std::string, Shape> declared_input_shapes(const Model& model) {
  std::map<std::string, Shape> shapes;
  for (const ValueInfo& input : model.inputs) {
    for (const std::int64_t d : input.shape) {
      if (d < 0) {
        throw Error(fmt::format("graph input '{}' has a dynamic shape {} (-1: not known until run time); give the "
                                "input to resolve it", input.name, shape_string(input.shape)));
      }
    }
    shapes[input.name] = input.shape;
  }
  return shapes;
}

namespace {

// Shape inference on a graph without shape computations left.
std::map<std::string, Shape> infer_static_shapes(const Model& model, const std::map<std::string, Shape>& input_shapes) {
  std::map<std::string, Shape> shapes;
  for (const auto& [name, tensor] : model.initializers) shapes[name] = tensor.shape;
  for (const auto& [name, weight] : model.compressed) shapes[name] = weight.shape;
  for (const ValueInfo& input : model.inputs) {
    const auto it = input_shapes.find(input.name);
    if (it == input_shapes.end()) throw Error(fmt::format("graph input '{}': no shape given", input.name));
    const Shape& given = it->second;
    bool fits = input.shape.empty() || input.shape.size() == given.size();
    for (std::size_t i = 0; fits && i < input.shape.size(); ++i) fits = input.shape[i] < 0 || input.shape[i] == given[i];
    if (!fits) {
      throw Error(fmt::format("graph input '{}' has shape {}, the model expects {}", input.name, shape_string(given),
                              shape_string(input.shape)));
    }
    shape_numel(given);
    shapes[input.name] = given;
  }
  for (const Node& node : model.nodes) {
    const std::unique_ptr<Operator> op = make_operator(node, model);
    std::vector<Shape> in;
    for (const std::string& name : node.inputs) {
      if (name.empty()) {
        in.emplace_back();
        continue;
      }
      const auto it = shapes.find(name);
      if (it == shapes.end()) throw Error(fmt::format("{}: input '{}' has no known shape", op->where(), name));
      in.push_back(it->second);
    }
    const std::vector<Shape> out = op->infer(in);
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i].empty()) continue;
      if (i >= out.size()) throw Error(fmt::format("{}: output {} is not supported", op->where(), i));
      shape_numel(out[i]);
      shapes[node.outputs[i]] = out[i];
    }
  }
  for (const ValueInfo& output : model.outputs) {
    if (!shapes.count(output.name)) throw Error(fmt::format("graph output '{}' is never computed", output.name));
  }
  return shapes;
}

}  // namespace

std::map<std::string, Shape> infer_shapes(const Model& model, const std::map<std::string, Shape>& input_shapes) {
  const std::optional<Model> folded = fold_shapes(model, input_shapes);
  return infer_static_shapes(folded ? *folded : model, input_shapes);
}

}  // namespace eie
