// Recognising layer normalisation in the form PyTorch exports it before opset 17:
//   m = ReduceMean(x, axes=[-1]); d = Sub(x, m); v = ReduceMean(Pow(d, 2), axes=[-1]);
//   y = Add(Mul(Div(d, Sqrt(Add(v, eps))), gamma), beta)
// nine nodes, each a pass over the tensor and a step of the engine, become one LayerNormalization (axis -1). In a
// transformer's decode step these nodes run on a few hundred values each, so their count, not their arithmetic,
// is what they cost.
#include <algorithm>
#include <map>
#include <optional>

#include "eie/model.h"
#include "model/fusion.h"

namespace eie {
namespace {

using fusion::other_input;

class Matcher {
 public:
  Matcher(const Model& model, const std::map<std::string, Shape>& shapes)
      : model_(model), shapes_(shapes), readers_(model) {}

  // The nodes of the pattern starting at ReduceMean node `first`, in graph order, and the fused node.
  std::optional<fusion::Match> match(std::size_t first) const {
    const Node& mean = model_.nodes[first];
    if (!is_last_axis_mean(mean)) return std::nullopt;
    const std::string& x = mean.inputs[0];
    const auto x_shape = shapes_.find(x);
    if (x_shape == shapes_.end() || x_shape->second.empty()) return std::nullopt;
    const std::int64_t channels = x_shape->second.back();

    const auto sub = reader(mean.outputs[0], "Sub");
    if (!sub || node(*sub).inputs != std::vector<std::string>{x, mean.outputs[0]}) return std::nullopt;
    const std::string& d = node(*sub).outputs[0];
    // d is read twice: squared for the variance and divided by the deviation.
    const auto d_readers = readers_.nodes.find(d);
    if (readers_.graph_outputs.count(d) || d_readers == readers_.nodes.end() || d_readers->second.size() != 2) {
      return std::nullopt;
    }
    std::optional<std::size_t> pow, div;
    for (const std::size_t r : d_readers->second) {
      if (node(r).outputs.size() != 1) return std::nullopt;
      if (node(r).op_type == "Pow") pow = r;
      if (node(r).op_type == "Div") div = r;
    }
    if (!pow || !div || node(*pow).inputs.size() != 2 || node(*pow).inputs[0] != d ||
        scalar(node(*pow).inputs[1]) != 2.0f) {
      return std::nullopt;
    }
    const auto variance = reader(node(*pow).outputs[0], "ReduceMean");
    if (!variance || !is_last_axis_mean(node(*variance))) return std::nullopt;
    const auto add_eps = reader(node(*variance).outputs[0], "Add");
    if (!add_eps) return std::nullopt;
    const std::optional<float> eps = other_scalar(node(*add_eps), node(*variance).outputs[0]);
    if (!eps || !(*eps >= 0.0f)) return std::nullopt;
    const auto sqrt = reader(node(*add_eps).outputs[0], "Sqrt");
    if (!sqrt || reader(node(*sqrt).outputs[0], "Div") != div || node(*div).inputs[0] != d) return std::nullopt;
    std::vector<std::size_t> nodes = {first, *sub, *pow, *variance, *add_eps, *sqrt, *div};

    // Scale and shift: constants of one value per normalised channel (LayerNormalization's Scale is required,
    // its B optional).
    std::string y = node(*div).outputs[0];
    const auto mul = reader(y, "Mul");
    const std::string gamma = mul ? other_channel_constant(node(*mul), y, channels) : "";
    if (gamma.empty()) return std::nullopt;
    nodes.push_back(*mul);
    y = node(*mul).outputs[0];
    std::vector<std::string> inputs = {x, gamma};
    if (const auto add = reader(y, "Add")) {
      if (const std::string beta = other_channel_constant(node(*add), y, channels); !beta.empty()) {
        nodes.push_back(*add);
        inputs.push_back(beta);
        y = node(*add).outputs[0];
      }
    }
    Node fused;
    fused.op_type = "LayerNormalization";
    fused.name = mean.name + "/fused_layer_norm";
    fused.inputs = inputs;
    fused.outputs = {y};
    fused.attributes["axis"] = std::int64_t{-1};
    fused.attributes["epsilon"] = *eps;
    std::sort(nodes.begin(), nodes.end());
    return std::make_pair(nodes, fused);
  }

 private:
  const Node& node(std::size_t i) const { return model_.nodes[i]; }
  std::optional<std::size_t> reader(const std::string& name, const std::string& op) const {
    return fusion::only_reader(model_, readers_, name, op);
  }
  bool is_last_axis_mean(const Node& n) const {
    if (n.op_type != "ReduceMean" || n.inputs.empty() || n.outputs.size() != 1 || n.attr_int("keepdims", 1) != 1) {
      return false;
    }
    std::vector<std::int64_t> axes = n.attr_ints("axes");
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
      const std::optional<Tensor> t = model_.constant(n.inputs[1]);
      if (!t) return false;
      axes.assign(t->data.begin(), t->data.end());
    }
    const auto shape = shapes_.find(n.inputs[0]);
    if (axes.size() != 1 || shape == shapes_.end()) return false;
    const auto rank = static_cast<std::int64_t>(shape->second.size());
    return axes[0] == -1 || axes[0] == rank - 1;
  }
  std::optional<float> scalar(const std::string& name) const { return fusion::scalar_constant(model_, name); }
  std::optional<float> other_scalar(const Node& n, const std::string& input) const {
    return fusion::other_scalar(model_, n, input);
  }
  // The name of the constant of shape [channels] beside `input` in a two-input node, or "".
  std::string other_channel_constant(const Node& n, const std::string& input, std::int64_t channels) const {
    const std::optional<std::string> other = other_input(n, input);
    if (!other || *other == input) return "";
    const auto it = model_.initializers.find(*other);
    return it != model_.initializers.end() && it->second.shape == Shape{channels} ? *other : "";
  }

  const Model& model_;
  const std::map<std::string, Shape>& shapes_;
  fusion::Readers readers_;
};

}  // namespace

std::optional<Model> fuse_layer_norms(const Model& model, const std::map<std::string, Shape>& shapes) {
  const Matcher matcher(model, shapes);
  return fusion::replace_patterns(model, [&](std::size_t i) { return matcher.match(i); });
}

}  // namespace eie
