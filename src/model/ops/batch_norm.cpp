// BatchNormalization at inference (running statistics), for the nodes fold_batch_norm could not fold.
#include <cmath>

#include "model/ops/ops.h"

namespace eie::ops {
namespace {

class BatchNorm final : public Operator {
 public:
  BatchNorm(const Node& node) : Operator(node), epsilon_(node.attr_float("epsilon", 1e-5f)) {
    const std::int64_t training = node.attr_int("training_mode", 0);
    require_attribute(node, training == 0, "training_mode", std::to_string(training), "0: eie runs inference");
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const Shape& x = inputs[0];
    if (x.size() < 2) throw node_error(node(), fmt::format("input X has shape {}, expected rank >= 2", shape_string(x)));
    for (std::size_t i = 1; i < 5; ++i) {
      if (inputs[i] != Shape{x[1]}) {
        throw node_error(node(), fmt::format("input '{}' has shape {}, expected [{}]", node().inputs[i],
                                             shape_string(inputs[i]), x[1]));
      }
    }
    return {x};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const Tensor& x = *inputs[0];
    const std::int64_t channels = x.shape[1];
    const std::int64_t outer = x.shape[0];
    const std::int64_t inner = outer * channels == 0 ? 0 : x.numel() / (outer * channels);
    for (std::int64_t c = 0; c < channels; ++c) {
      const auto at = [&](int i) { return static_cast<double>(inputs[static_cast<std::size_t>(i)]->data[static_cast<std::size_t>(c)]); };
      const double scale = at(1) / std::sqrt(at(4) + epsilon_);
      const double shift = at(2) - at(3) * scale;
      for (std::int64_t n = 0; n < outer; ++n) {
        for (std::int64_t i = 0; i < inner; ++i) {
          const auto k = static_cast<std::size_t>((n * channels + c) * inner + i);
          outputs[0]->data[k] = static_cast<float>(x.data[k] * scale + shift);
        }
      }
    }
  }

 private:
  float epsilon_;
};

}  // namespace

std::unique_ptr<Operator> make_batch_norm(const Node& node, const Model&) {
  expect_arity(node, 5, 5, 1);
  return std::make_unique<BatchNorm>(node);
}

}  // namespace eie::ops
