// Gemm (Y = alpha A' B' + beta C, C broadcast) and MatMul (numpy matmul with batch broadcasting), scalar with
// double accumulation: the reference the engine's compressed and BLAS paths are checked against.
#include "model/ops/ops.h"

namespace eie::ops {
namespace {

class Gemm final : public Operator {
 public:
  Gemm(const Node& node)
      : Operator(node),
        alpha_(node.attr_float("alpha", 1.0f)),
        beta_(node.attr_float("beta", 1.0f)),
        trans_a_(node.attr_int("transA", 0) != 0),
        trans_b_(node.attr_int("transB", 0) != 0) {}
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const Shape& a = inputs[0];
    const Shape& b = inputs[1];
    if (a.size() != 2 || b.size() != 2) {
      throw node_error(node(), fmt::format("A {} and B {} must be matrices", shape_string(a), shape_string(b)));
    }
    const std::int64_t m = trans_a_ ? a[1] : a[0], k = trans_a_ ? a[0] : a[1];
    const std::int64_t kb = trans_b_ ? b[1] : b[0], n = trans_b_ ? b[0] : b[1];
    if (k != kb) {
      throw node_error(node(), fmt::format("A {} and B {} do not multiply (transA = {}, transB = {})", shape_string(a),
                                           shape_string(b), int{trans_a_}, int{trans_b_}));
    }
    if (inputs.size() > 2 && !node().inputs[2].empty()) {
      const Shape c = broadcast_shapes(node(), inputs[2], {m, n});
      if (c != Shape{m, n}) throw node_error(node(), fmt::format("C {} does not broadcast to [{}, {}]", shape_string(inputs[2]), m, n));
    }
    return {{m, n}};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const Tensor& a = *inputs[0];
    const Tensor& b = *inputs[1];
    const Tensor* c = inputs.size() > 2 ? inputs[2] : nullptr;
    Tensor& y = *outputs[0];
    const std::int64_t m = y.shape[0], n = y.shape[1], k = trans_a_ ? a.shape[0] : a.shape[1];
    std::vector<std::int64_t> cs;
    if (c) cs = broadcast_strides(c->shape, y.shape);
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        double sum = 0.0;
        for (std::int64_t p = 0; p < k; ++p) {
          const float av = a.data[static_cast<std::size_t>(trans_a_ ? p * m + i : i * k + p)];
          const float bv = b.data[static_cast<std::size_t>(trans_b_ ? j * k + p : p * n + j)];
          sum += static_cast<double>(av) * bv;
        }
        double v = alpha_ * sum;
        if (c) v += static_cast<double>(beta_) * c->data[static_cast<std::size_t>(i * cs[0] + j * cs[1])];
        y.data[static_cast<std::size_t>(i * n + j)] = static_cast<float>(v);
      }
    }
  }

 private:
  float alpha_, beta_;
  bool trans_a_, trans_b_;
};

class MatMul final : public Operator {
 public:
  using Operator::Operator;
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    Shape a = inputs[0], b = inputs[1];
    if (a.empty() || b.empty()) throw node_error(node(), "MatMul of a scalar");
    const bool a_vector = a.size() == 1, b_vector = b.size() == 1;
    if (a_vector) a.insert(a.begin(), 1);
    if (b_vector) b.push_back(1);
    if (a[a.size() - 1] != b[b.size() - 2]) {
      throw node_error(node(), fmt::format("A {} and B {} do not multiply", shape_string(inputs[0]), shape_string(inputs[1])));
    }
    Shape out = broadcast_shapes(node(), Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
    if (!a_vector) out.push_back(a[a.size() - 2]);
    if (!b_vector) out.push_back(b.back());
    return {out};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    Shape a = inputs[0]->shape, b = inputs[1]->shape;
    if (a.size() == 1) a.insert(a.begin(), 1);
    if (b.size() == 1) b.push_back(1);
    const std::int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
    const Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
    const Shape batch = broadcast_shapes(node(), a_batch, b_batch);
    const auto pairs = matmul_batch_pairs(a_batch, b_batch, batch);
    for (std::int64_t t = 0; t < static_cast<std::int64_t>(pairs.size()); ++t) {
      const auto [ia, ib] = pairs[static_cast<std::size_t>(t)];
      const float* pa = inputs[0]->data.data() + ia * m * k;
      const float* pb = inputs[1]->data.data() + ib * k * n;
      matmul_in_double(pa, pb, outputs[0]->data.data() + t * m * n, m, k, n);
    }
  }
};

}  // namespace

std::unique_ptr<Operator> make_gemm(const Node& node, const Model&) {
  expect_arity(node, 2, 3, 1);
  return std::make_unique<Gemm>(node);
}
std::unique_ptr<Operator> make_matmul(const Node& node, const Model&) {
  expect_arity(node, 2, 2, 1);
  return std::make_unique<MatMul>(node);
}

}  // namespace eie::ops
