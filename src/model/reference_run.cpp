// The reference interpreter: every node by its scalar operator, tensors in a map, compressed weights
// decompressed. No planning and no speed; it is what the engine's ModelEngine is checked against.
#include <fmt/core.h>

#include "eie/model.h"

namespace eie {

std::vector<Tensor> reference_run(const Model& model, const std::vector<Tensor>& inputs) {
  if (inputs.size() != model.inputs.size()) {
    throw Error(fmt::format("model '{}' has {} inputs, {} given", model.name, model.inputs.size(), inputs.size()));
  }
  std::map<std::string, Shape> input_shapes;
  for (std::size_t i = 0; i < inputs.size(); ++i) input_shapes[model.inputs[i].name] = inputs[i].shape;
  const std::optional<Model> folded = fold_shapes(model, input_shapes);
  if (folded) return reference_run(*folded, inputs);  // a static graph: no shape computations left
  const std::map<std::string, Shape> shapes = infer_shapes(model, input_shapes);
  std::map<std::string, Tensor> values;
  for (std::size_t i = 0; i < inputs.size(); ++i) values[model.inputs[i].name] = inputs[i];
  for (const Node& node : model.nodes) {
    const std::unique_ptr<Operator> op = make_operator(node, model);
    std::vector<const Tensor*> in;
    for (const std::string& name : node.inputs) {
      if (name.empty()) {
        in.push_back(nullptr);
        continue;
      }
      if (!values.count(name)) values[name] = *model.constant(name);
      in.push_back(&values.at(name));
    }
    std::vector<Tensor> out(node.outputs.size());
    std::vector<Tensor*> out_ptrs;
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i].empty()) {
        out_ptrs.push_back(nullptr);
        continue;
      }
      out[i].shape = shapes.at(node.outputs[i]);
      out[i].data.assign(static_cast<std::size_t>(out[i].numel()), 0.0f);
      out_ptrs.push_back(&out[i]);
    }
    op->run(in, out_ptrs);
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      if (!node.outputs[i].empty()) values[node.outputs[i]] = std::move(out[i]);
    }
  }
  std::vector<Tensor> result;
  for (const ValueInfo& output : model.outputs) {
    if (!values.count(output.name)) values[output.name] = *model.constant(output.name);
    result.push_back(values.at(output.name));
  }
  return result;
}

}  // namespace eie
