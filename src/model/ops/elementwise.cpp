// Element-wise operators with one input: Relu, LeakyRelu, Sigmoid, Tanh, and the identities (Identity, and
// Dropout, which is the identity at inference).
#include <algorithm>
#include <cmath>

#include "model/ops/ops.h"

namespace eie::ops {
namespace {

enum class Kind { relu, leaky_relu, sigmoid, tanh, identity };

class Unary final : public Operator {
 public:
  Unary(const Node& node, Kind kind) : Operator(node), kind_(kind) {
    if (kind == Kind::leaky_relu) alpha_ = node.attr_float("alpha", 0.01f);
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override { return {inputs[0]}; }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const std::vector<float>& x = inputs[0]->data;
    std::vector<float>& y = outputs[0]->data;
    const std::size_t n = x.size();
    switch (kind_) {
      case Kind::relu: for (std::size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f; break;
      case Kind::leaky_relu: for (std::size_t i = 0; i < n; ++i) y[i] = x[i] >= 0.0f ? x[i] : alpha_ * x[i]; break;
      case Kind::sigmoid: for (std::size_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i])); break;
      case Kind::tanh: for (std::size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]); break;
      case Kind::identity: std::copy(x.begin(), x.end(), y.begin()); break;
    }
  }

 private:
  Kind kind_;
  float alpha_ = 0.0f;
};

}  // namespace

std::unique_ptr<Operator> make_unary(const Node& node, const Model& model) {
  if (node.op_type == "Dropout") {
    expect_arity(node, 1, 3, 2);
    if (node.outputs.size() > 1 && !node.outputs[1].empty()) {
      throw node_error(node, "the mask output is not supported (eie runs inference; the mask is boolean)");
    }
    if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
      const std::optional<Tensor> training = model.constant(node.inputs[2]);
      if (!training || training->data.size() != 1 || training->data[0] != 0.0f) {
        throw node_error(node, fmt::format("training_mode input '{}' must be a constant false (eie runs inference)",
                                           node.inputs[2]));
      }
    }
    return std::make_unique<Unary>(node, Kind::identity);
  }
  expect_arity(node, 1, 1, 1);
  if (node.op_type == "Relu") return std::make_unique<Unary>(node, Kind::relu);
  if (node.op_type == "LeakyRelu") return std::make_unique<Unary>(node, Kind::leaky_relu);
  if (node.op_type == "Sigmoid") return std::make_unique<Unary>(node, Kind::sigmoid);
  if (node.op_type == "Tanh") return std::make_unique<Unary>(node, Kind::tanh);
  return std::make_unique<Unary>(node, Kind::identity);
}

}  // namespace eie::ops
