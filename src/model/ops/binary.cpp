// Element-wise operators with two inputs and numpy broadcasting: Add, Sub, Mul, Div, Pow, and Equal (1 or 0).
#include <cmath>

#include "model/ops/ops.h"

namespace eie::ops {
namespace {

enum class Kind { add, sub, mul, div, pow, equal };

class Binary final : public Operator {
 public:
  Binary(const Node& node, Kind kind) : Operator(node), kind_(kind) {}
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    return {broadcast_shapes(node(), inputs[0], inputs[1])};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const Tensor& a = *inputs[0];
    const Tensor& b = *inputs[1];
    Tensor& y = *outputs[0];
    if (a.shape == b.shape) {
      for (std::size_t i = 0; i < y.data.size(); ++i) y.data[i] = apply(a.data[i], b.data[i]);
      return;
    }
    const Shape& out = y.shape;
    const std::vector<std::int64_t> sa = broadcast_strides(a.shape, out), sb = broadcast_strides(b.shape, out);
    const std::size_t rank = out.size();
    std::vector<std::int64_t> index(rank, 0);  // small; the reference path may allocate
    std::int64_t ia = 0, ib = 0;
    for (std::size_t i = 0; i < y.data.size(); ++i) {
      y.data[i] = apply(a.data[static_cast<std::size_t>(ia)], b.data[static_cast<std::size_t>(ib)]);
      for (std::size_t d = rank; d-- > 0;) {  // odometer increment
        ++index[d];
        ia += sa[d];
        ib += sb[d];
        if (index[d] < out[d]) break;
        ia -= sa[d] * out[d];
        ib -= sb[d] * out[d];
        index[d] = 0;
      }
    }
  }

 private:
  float apply(float a, float b) const {
    switch (kind_) {
      case Kind::add: return a + b;
      case Kind::sub: return a - b;
      case Kind::mul: return a * b;
      case Kind::div: return a / b;
      case Kind::pow: return b == 2.0f ? a * a : std::pow(a, b);
      case Kind::equal: return a == b ? 1.0f : 0.0f;
    }
    return 0.0f;
  }
  Kind kind_;
};

}  // namespace

std::unique_ptr<Operator> make_binary(const Node& node, const Model&) {
  expect_arity(node, 2, 2, 1);
  const Kind kind = node.op_type == "Add"   ? Kind::add
                    : node.op_type == "Sub" ? Kind::sub
                    : node.op_type == "Mul" ? Kind::mul
                    : node.op_type == "Pow" ? Kind::pow
                    : node.op_type == "Equal" ? Kind::equal
                                            : Kind::div;
  return std::make_unique<Binary>(node, kind);
}

}  // namespace eie::ops
