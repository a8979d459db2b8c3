// A model of one node: its inputs, output y, optional constants (initializers) and extra input names (constants
// or empty names for absent optional inputs), for the operator tests.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "eie/model.h"

namespace eie {

inline Model one_node_model(const std::string& op, std::vector<ValueInfo> inputs,
                            std::map<std::string, Attribute> attributes = {},
                            std::map<std::string, Tensor> constants = {},
                            const std::vector<std::string>& extra_inputs = {}) {
  Model m;
  m.inputs = std::move(inputs);
  m.outputs = {{"y", {}}};
  m.initializers = std::move(constants);
  std::vector<std::string> in;
  for (const ValueInfo& v : m.inputs) in.push_back(v.name);
  in.insert(in.end(), extra_inputs.begin(), extra_inputs.end());
  m.nodes = {Node{op, "n", in, {"y"}, std::move(attributes)}};
  return m;
}

}  // namespace eie
