// Softmax and LogSoftmax along one axis (ONNX opset 13 semantics; eie's importer targets opset >= 13).
#include <algorithm>
#include <cmath>

#include "model/ops/ops.h"

namespace eie::ops {
namespace {

class Softmax final : public Operator {
 public:
  Softmax(const Node& node, bool log) : Operator(node), log_(log), axis_(node.attr_int("axis", -1)) {}
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    normalize_axis(node(), axis_, static_cast<std::int64_t>(inputs[0].size()));
    return {inputs[0]};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const Tensor& x = *inputs[0];
    std::vector<float>& y = outputs[0]->data;
    const std::int64_t axis = normalize_axis(node(), axis_, static_cast<std::int64_t>(x.shape.size()));
    std::int64_t outer = 1, inner = 1;
    for (std::int64_t d = 0; d < axis; ++d) outer *= x.shape[static_cast<std::size_t>(d)];
    for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
    const std::int64_t n = x.shape[static_cast<std::size_t>(axis)];
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t i = 0; i < inner; ++i) {
        const auto at = [&](std::int64_t k) { return static_cast<std::size_t>((o * n + k) * inner + i); };
        float m = -INFINITY;
        for (std::int64_t k = 0; k < n; ++k) m = std::max(m, x.data[at(k)]);
        double sum = 0.0;
        for (std::int64_t k = 0; k < n; ++k) sum += std::exp(static_cast<double>(x.data[at(k)] - m));
        for (std::int64_t k = 0; k < n; ++k) {
          const double shifted = static_cast<double>(x.data[at(k)] - m);
          y[at(k)] = static_cast<float>(log_ ? shifted - std::log(sum) : std::exp(shifted) / sum);
        }
      }
    }
  }

 private:
  bool log_;
  std::int64_t axis_;
};

}  // namespace

std::unique_ptr<Operator> make_softmax(const Node& node, const Model&) {
  expect_arity(node, 1, 1, 1);
  return std::make_unique<Softmax>(node, node.op_type == "LogSoftmax");
}

}  // namespace eie::ops
