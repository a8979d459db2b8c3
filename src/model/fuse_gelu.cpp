// Recognising GELU in the form PyTorch exports it before opset 20 (nn.GELU, F.gelu):
//   y = Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)
// five nodes, each a pass over the tensor and a step of the engine, become one Gelu (opset 20, approximate
// "none"), which computes 0.5 x (1 + erf(x / sqrt 2)) in one pass. x / sqrt 2 may also be x * (1 / sqrt 2), and the
// two multiplications may come in either order.
#include <algorithm>
#include <cmath>

#include "eie/model.h"
#include "model/fusion.h"

namespace eie {
namespace {

class GeluMatcher {
 public:
  explicit GeluMatcher(const Model& model) : model_(model), readers_(model) {}

  // The pattern whose Erf is node `erf_index`.
  std::optional<fusion::Match> match(std::size_t erf_index) const {
    const Node& erf = node(erf_index);
    if (erf.op_type != "Erf" || erf.inputs.size() != 1 || erf.outputs.size() != 1) return std::nullopt;
    // Erf's input: x / sqrt 2 or x * (1 / sqrt 2), read by Erf alone.
    const auto scaled = producer(erf.inputs[0]);
    if (!scaled || readers_.only(erf.inputs[0]) != erf_index) return std::nullopt;
    const Node& scale = node(*scaled);
    if (scale.inputs.size() != 2 || scale.outputs.size() != 1) return std::nullopt;
    const std::string& x = scale.inputs[0];
    const std::optional<float> by = fusion::scalar_constant(model_, scale.inputs[1]);
    const bool div = scale.op_type == "Div" && by && near(*by, std::sqrt(2.0));
    const bool mul = scale.op_type == "Mul" && by && near(*by, std::sqrt(0.5));
    if (!div && !mul) return std::nullopt;
    // 1 + erf
    const auto plus_one = reader(erf.outputs[0], "Add");
    if (!plus_one || other_scalar(node(*plus_one), erf.outputs[0]) != 1.0f) return std::nullopt;
    // x * (1 + erf) and * 0.5, in either order.
    std::vector<std::size_t> nodes = {*scaled, erf_index, *plus_one};
    std::string y = node(*plus_one).outputs[0];
    bool has_x = false, has_half = false;
    for (int i = 0; i < 2; ++i) {
      const auto m = reader(y, "Mul");
      if (!m) return std::nullopt;
      const std::optional<std::string> other = fusion::other_input(node(*m), y);
      if (!other) return std::nullopt;
      if (!has_x && *other == x) has_x = true;
      else if (!has_half && fusion::scalar_constant(model_, *other) == 0.5f) has_half = true;
      else return std::nullopt;
      nodes.push_back(*m);
      y = node(*m).outputs[0];
    }
    Node fused;
    fused.op_type = "Gelu";
    fused.name = erf.name + "/fused_gelu";
    fused.inputs = {x};
    fused.outputs = {y};
    std::sort(nodes.begin(), nodes.end());
    return std::make_pair(nodes, fused);
  }

 private:
  const Node& node(std::size_t i) const { return model_.nodes[i]; }
  static bool near(float value, double expected) { return std::fabs(value - expected) <= 1e-6 * expected; }
  std::optional<std::size_t> producer(const std::string& name) const {
    for (std::size_t i = 0; i < model_.nodes.size(); ++i) {
      const std::vector<std::string>& outs = model_.nodes[i].outputs;
      if (std::find(outs.begin(), outs.end(), name) != outs.end()) return i;
    }
    return std::nullopt;
  }
  std::optional<std::size_t> reader(const std::string& name, const std::string& op) const {
    const auto r = readers_.only(name);
    if (!r || node(*r).op_type != op || node(*r).outputs.size() != 1) return std::nullopt;
    return r;
  }
  std::optional<float> other_scalar(const Node& n, const std::string& input) const {
    const std::optional<std::string> other = fusion::other_input(n, input);
    return other ? fusion::scalar_constant(model_, *other) : std::nullopt;
  }

  const Model& model_;
  fusion::Readers readers_;
};

}  // namespace

std::optional<Model> fuse_gelus(const Model& model) {
  const GeluMatcher matcher(model);
  return fusion::replace_patterns(model, [&](std::size_t i) { return matcher.match(i); });
}

}  // namespace eie
