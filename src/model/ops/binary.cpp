// Element-wise operators with two inputs and numpy broadcasting: Add, Sub, Mul, Div, Pow, and Equal (1 or 0).
#include <cmath>

#include "model/ops/ops.h"
#include "model/ops/strided.h"

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
    switch (kind_) {
      case Kind::add: return run_as<Kind::add>(*inputs[0], *inputs[1], *outputs[0]);
      case Kind::sub: return run_as<Kind::sub>(*inputs[0], *inputs[1], *outputs[0]);
      case Kind::mul: return run_as<Kind::mul>(*inputs[0], *inputs[1], *outputs[0]);
      case Kind::div: return run_as<Kind::div>(*inputs[0], *inputs[1], *outputs[0]);
      case Kind::pow: return run_as<Kind::pow>(*inputs[0], *inputs[1], *outputs[0]);
      case Kind::equal: return run_as<Kind::equal>(*inputs[0], *inputs[1], *outputs[0]);
    }
  }

 private:
  template <Kind K>
  static float apply(float a, float b) {
    if constexpr (K == Kind::add) return a + b;
    if constexpr (K == Kind::sub) return a - b;
    if constexpr (K == Kind::mul) return a * b;
    if constexpr (K == Kind::div) return a / b;
    if constexpr (K == Kind::pow) return b == 2.0f ? a * a : std::pow(a, b);
    if constexpr (K == Kind::equal) return a == b ? 1.0f : 0.0f;
    return 0.0f;
  }
  // One row of n outputs; an operand's stride along it is 1 (it varies) or 0 (broadcast), the loops the
  // compiler vectorizes, or anything else on the general loop.
  template <Kind K>
  static void row(const float* a, std::int64_t sa, const float* b, std::int64_t sb, float* y, std::int64_t n) {
    if (sa == 1 && sb == 1) {
      for (std::int64_t i = 0; i < n; ++i) y[i] = apply<K>(a[i], b[i]);
    } else if (sa == 1 && sb == 0) {
      const float bv = *b;
      for (std::int64_t i = 0; i < n; ++i) y[i] = apply<K>(a[i], bv);
    } else if (sa == 0 && sb == 1) {
      const float av = *a;
      for (std::int64_t i = 0; i < n; ++i) y[i] = apply<K>(av, b[i]);
    } else {
      for (std::int64_t i = 0; i < n; ++i) y[i] = apply<K>(a[i * sa], b[i * sb]);
    }
  }
  template <Kind K>
  static void run_as(const Tensor& a, const Tensor& b, Tensor& y) {
    if (a.shape == b.shape) {
      row<K>(a.data.data(), 1, b.data.data(), 1, y.data.data(), static_cast<std::int64_t>(y.data.size()));
      return;
    }
    const auto walk = StridedWalk<2>::broadcast(y.shape, {&a.shape, &b.shape});
    if (!walk.ok()) return run_odometer<K>(a, b, y);
    float* out = y.data.data();
    const std::int64_t n = walk.row_size(), sa = walk.row_stride(0), sb = walk.row_stride(1);
    walk.for_each_row({0, 0}, [&](const std::array<std::int64_t, 2>& at) {
      row<K>(a.data.data() + at[0], sa, b.data.data() + at[1], sb, out, n);
      out += n;
    });
  }
  // More dimensions than the walk holds even after collapsing: one odometer step per element.
  template <Kind K>
  static void run_odometer(const Tensor& a, const Tensor& b, Tensor& y) {
    const Shape& out = y.shape;
    const std::vector<std::int64_t> sa = broadcast_strides(a.shape, out), sb = broadcast_strides(b.shape, out);
    for_each_offset(out, {sa, sb}, {0, 0}, [&](std::int64_t i, const std::vector<std::int64_t>& at) {
      y.data[static_cast<std::size_t>(i)] =
          apply<K>(a.data[static_cast<std::size_t>(at[0])], b.data[static_cast<std::size_t>(at[1])]);
    });
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
