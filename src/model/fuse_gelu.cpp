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

  // The pattern whose first node, x / sqrt 2 or x * (1 / sqrt 2), is node `first`.
  std::optional<fusion::Match> match(std::size_t first) const {
    const Node& scale = node(first);
    if (scale.inputs.size() != 2 || scale.outputs.size() != 1) return std::nullopt;
    const std::string& x = scale.inputs[0];
    const std::optional<float> by = fusion::scalar_constant(model_, scale.inputs[1]);
    const bool div = scale.op_type == "Div" && by && near(*by, std::sqrt(2.0));
    const bool mul = scale.op_type == "Mul" && by && near(*by, std::sqrt(0.5));
    if (!div && !mul) return std::nullopt;
    // erf, read by Erf alone, then 1 + erf
    const auto erf = reader(scale.outputs[0], "Erf");
    if (!erf || node(*erf).inputs.size() != 1) return std::nullopt;
    const std::string& e = node(*erf).outputs[0];
    const auto plus_one = reader(e, "Add");
    if (!plus_one || fusion::other_scalar(model_, node(*plus_one), e) != 1.0f) return std::nullopt;
    // x * (1 + erf) and * 0.5, in either order.
    std::vector<std::size_t> nodes = {first, *erf, *plus_one};
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
    fused.name = node(*erf).name + "/fused_gelu";
    fused.inputs = {x};
    fused.outputs = {y};
    std::sort(nodes.begin(), nodes.end());
    return std::make_pair(nodes, fused);
  }

 private:
  const Node& node(std::size_t i) const { return model_.nodes[i]; }
  static bool near(float value, double expected) { return std::fabs(value - expected) <= 1e-6 * expected; }
  std::optional<std::size_t> reader(const std::string& name, const std::string& op) const {
    return fusion::only_reader(model_, readers_, name, op);
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
