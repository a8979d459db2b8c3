// Folding BatchNormalization into the layer before it: y = s (W x + b - mean) + beta with s = gamma /
// sqrt(var + eps) is the layer with weights s W and bias s (b - mean) + beta. Done at import, before
// compression, so a compressed network carries no normalisation at all (and its codebook describes the
// weights it really multiplies with).
#include <cmath>
#include <set>

#include <fmt/core.h>

#include "eie/model.h"

namespace eie {
namespace {

std::size_t uses(const Model& model, const std::string& name) {
  std::size_t n = 0;
  for (const Node& node : model.nodes) {
    for (const std::string& in : node.inputs) n += in == name;
  }
  for (const ValueInfo& out : model.outputs) n += out.name == name;
  return n;
}

// Folds node `bn` into node `layer` when every piece is a dense constant of the right shape.
bool fold(Model& model, Node& layer, const Node& bn) {
  if (bn.attr_int("training_mode", 0) != 0 || bn.inputs.size() != 5 || bn.outputs.size() != 1) return false;
  if (layer.inputs.size() < 2 || layer.outputs.size() != 1 || uses(model, layer.outputs[0]) != 1) return false;
  const bool conv = layer.op_type == "Conv";
  if (!conv && !(layer.op_type == "Gemm" && layer.attr_int("transB", 0) == 1 && layer.attr_float("alpha", 1.0f) == 1.0f &&
                 layer.attr_float("beta", 1.0f) == 1.0f && layer.attr_int("transA", 0) == 0)) {
    return false;
  }
  const auto weight_it = model.initializers.find(layer.inputs[1]);
  if (weight_it == model.initializers.end() || uses(model, layer.inputs[1]) != 1) return false;
  Tensor& w = weight_it->second;
  if (w.shape.empty() || w.shape[0] < 1) return false;
  const std::int64_t channels = w.shape[0];
  std::vector<const Tensor*> p;
  for (std::size_t i = 1; i < 5; ++i) {
    const auto it = model.initializers.find(bn.inputs[i]);
    if (it == model.initializers.end() || it->second.shape != Shape{channels}) return false;
    p.push_back(&it->second);
  }
  const bool has_bias = layer.inputs.size() > 2 && !layer.inputs[2].empty();
  if (has_bias) {
    const auto it = model.initializers.find(layer.inputs[2]);
    if (it == model.initializers.end() || it->second.shape != Shape{channels} || uses(model, layer.inputs[2]) != 1) return false;
  }
  const double eps = bn.attr_float("epsilon", 1e-5f);
  std::vector<float> bias(static_cast<std::size_t>(channels), 0.0f);
  if (has_bias) bias = model.initializers.at(layer.inputs[2]).data;
  const std::int64_t per_channel = w.numel() / channels;
  for (std::int64_t c = 0; c < channels; ++c) {
    const auto k = static_cast<std::size_t>(c);
    const double s = p[0]->data[k] / std::sqrt(static_cast<double>(p[3]->data[k]) + eps);
    for (std::int64_t i = 0; i < per_channel; ++i) {
      float& v = w.data[static_cast<std::size_t>(c * per_channel + i)];
      v = static_cast<float>(v * s);
    }
    bias[k] = static_cast<float>(s * (bias[k] - p[2]->data[k]) + p[1]->data[k]);
  }
  std::string bias_name = has_bias ? layer.inputs[2] : bn.name + "_folded_bias";
  while (!has_bias && (model.initializers.count(bias_name) || uses(model, bias_name))) bias_name += "_";
  model.initializers[bias_name] = Tensor{{channels}, std::move(bias)};
  if (layer.inputs.size() < 3) layer.inputs.resize(3);
  layer.inputs[2] = bias_name;
  layer.outputs[0] = bn.outputs[0];
  return true;
}

}  // namespace

int fold_batch_norm(Model& model) {
  int folded = 0;
  for (std::size_t i = 0; i < model.nodes.size(); ++i) {
    if (model.nodes[i].op_type != "BatchNormalization" || model.nodes[i].inputs.empty()) continue;
    const Node bn = model.nodes[i];
    for (std::size_t j = i; j-- > 0;) {
      if (model.nodes[j].outputs.size() == 1 && model.nodes[j].outputs[0] == bn.inputs[0]) {
        if (fold(model, model.nodes[j], bn)) {
          model.nodes.erase(model.nodes.begin() + static_cast<std::ptrdiff_t>(i));
          --i;
          ++folded;
        }
        break;
      }
    }
  }
  if (folded > 0) {  // drop the normalisation parameters nothing reads any more
    std::set<std::string> read;
    for (const Node& node : model.nodes) read.insert(node.inputs.begin(), node.inputs.end());
    for (auto it = model.initializers.begin(); it != model.initializers.end();) {
      it = read.count(it->first) ? std::next(it) : model.initializers.erase(it);
    }
  }
  return folded;
}

}  // namespace eie
