// Gemm and MatMul with a constant weight: one matrix product over the rows of A; Gemm's C is the product's bias
// when it is a constant vector and alpha = beta = 1, and a broadcast epilogue otherwise.
#include "engine/network/step.h"

#include <cblas.h>

#include <fmt/core.h>

#include "model/fusion.h"

namespace eie::network {
namespace {

class GemmStep final : public Step {
 public:
  GemmStep(MatrixProduct product, const Tensor* a, Tensor* y, bool trans_a, float alpha, float beta, const Tensor* c)
      : product_(std::move(product)), a_(a), y_(y), trans_a_(trans_a), alpha_(alpha), beta_(beta), c_(c) {
    if (trans_a_) transposed_.resize(a->data.size());
    if (c_) c_strides_ = broadcast(c_->shape);
  }
  void run() override {
    const std::int64_t m = y_->shape[0], k = product_.k();
    const float* x = a_->data.data();
    if (trans_a_) {  // A is k x m
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t p = 0; p < k; ++p) transposed_[static_cast<std::size_t>(i * k + p)] = x[p * m + i];
      }
      x = transposed_.data();
    }
    product_.run(x, y_->data.data(), m);
    const std::int64_t n = product_.n();
    if (alpha_ != 1.0f) {
      for (float& v : y_->data) v *= alpha_;
    }
    if (c_) {
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          y_->data[static_cast<std::size_t>(i * n + j)] += beta_ * c_->data[static_cast<std::size_t>(i * c_strides_[0] + j * c_strides_[1])];
        }
      }
    }
  }
  std::string path() const override { return product_.path(); }
  std::vector<const MatrixProduct*> products() const override { return {&product_}; }

 private:
  // Row and column strides of C broadcast to [m, n] (C is a scalar, [n], [1, n], [m, 1] or [m, n]).
  static std::vector<std::int64_t> broadcast(const Shape& c) {
    const Shape full = c.size() == 2 ? c : c.size() == 1 ? Shape{1, c[0]} : Shape{1, 1};
    return {full[0] == 1 ? 0 : full[1], full[1] == 1 ? 0 : 1};
  }
  MatrixProduct product_;
  const Tensor* a_;
  Tensor* y_;
  bool trans_a_;
  float alpha_, beta_;
  const Tensor* c_;
  std::vector<std::int64_t> c_strides_;
  std::vector<float> transposed_;
};

class MatMulStep final : public Step {
 public:
  MatMulStep(MatrixProduct product, const Tensor* a, Tensor* y) : product_(std::move(product)), a_(a), y_(y) {}
  void run() override { product_.run(a_->data.data(), y_->data.data(), static_cast<std::int64_t>(a_->data.size()) / product_.k()); }
  std::string path() const override { return product_.path(); }
  std::vector<const MatrixProduct*> products() const override { return {&product_}; }

 private:
  MatrixProduct product_;
  const Tensor* a_;
  Tensor* y_;
};

// MatMul of two run-time matrices (attention-like products): one OpenBLAS sgemm per broadcast batch entry, or,
// for products too small to repay an sgemm call (a decode step's attention: per head 1 x 64 x t and 1 x t x 64),
// the reference operator's loop (double sums), which costs less than OpenBLAS's call and dispatch there.
class RuntimeMatMulStep final : public Step {
 public:
  RuntimeMatMulStep(const Tensor* a, const Tensor* b, Tensor* y) : a_(a), b_(b), y_(y) {
    const Shape &as = a->shape, &bs = b->shape;
    m_ = as[as.size() - 2];
    k_ = as.back();
    n_ = bs.back();
    const Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
    const Shape batch(y->shape.begin(), y->shape.end() - 2);
    for (const auto& [ia, ib] : matmul_batch_pairs(a_batch, b_batch, batch)) {
      offsets_.push_back({ia * m_ * k_, ib * k_ * n_});
    }
  }
  // At most this many multiply-adds per product run the direct loop: OpenBLAS's sgemm costs about a
  // microsecond per call before it multiplies, the direct loop about a nanosecond per multiply-add.
  static constexpr std::int64_t kDirectMacs = 4096;
  void run() override {
    if (m_ * n_ * k_ <= kDirectMacs) {
      for (std::size_t t = 0; t < offsets_.size(); ++t) {
        matmul_in_double(a_->data.data() + offsets_[t].first, b_->data.data() + offsets_[t].second,
                         y_->data.data() + static_cast<std::int64_t>(t) * m_ * n_, m_, k_, n_);
      }
      return;
    }
    for (std::size_t t = 0; t < offsets_.size(); ++t) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m_), static_cast<int>(n_),
                  static_cast<int>(k_), 1.0f, a_->data.data() + offsets_[t].first, static_cast<int>(k_),
                  b_->data.data() + offsets_[t].second, static_cast<int>(n_), 0.0f,
                  y_->data.data() + static_cast<std::int64_t>(t) * m_ * n_, static_cast<int>(n_));
    }
  }
  std::string path() const override {
    const char* how = m_ * n_ * k_ <= kDirectMacs ? "direct loop" : "dense OpenBLAS";
    return fmt::format("{}, {} products of {} x {} x {}", how, offsets_.size(), m_, k_, n_);
  }

 private:
  const Tensor *a_, *b_;
  Tensor* y_;
  std::int64_t m_ = 0, k_ = 0, n_ = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> offsets_;
};

}  // namespace

std::unique_ptr<Step> make_gemm_step(const Node& node, const StepContext& context) {
  if (!context.is_constant(node.inputs[1]) || context.is_constant(node.inputs[0])) return nullptr;
  const Tensor* a = context.value(node.inputs[0]);
  Tensor* y = context.value(node.outputs[0]);
  const bool trans_a = node.attr_int("transA", 0) != 0, trans_b = node.attr_int("transB", 0) != 0;
  const float alpha = node.attr_float("alpha", 1.0f), beta = node.attr_float("beta", 1.0f);
  const std::int64_t m = y->shape[0], n = y->shape[1], k = trans_a ? a->shape[0] : a->shape[1];
  const Tensor* c = node.inputs.size() > 2 && !node.inputs[2].empty() ? context.value(node.inputs[2]) : nullptr;
  std::vector<float> bias;
  if (c && alpha == 1.0f && beta == 1.0f && context.is_constant(node.inputs[2]) && c->numel() == n &&
      (c->shape == Shape{n} || c->shape == Shape{1, n})) {
    bias = c->data;
    c = nullptr;
  }
  MatrixProduct product = make_product(context, node.inputs[1], trans_b ? WeightLayout::rows_first : WeightLayout::transposed,
                                       0, n, k, std::move(bias), m);
  return std::make_unique<GemmStep>(std::move(product), a, y, trans_a, alpha, beta, c);
}

std::optional<BiasAdd> find_bias_add(const Node& matmul, const StepContext& context) {
  if (matmul.op_type != "MatMul" || !context.is_constant(matmul.inputs[1]) || context.is_constant(matmul.inputs[0])) {
    return std::nullopt;
  }
  const std::string& product = matmul.outputs[0];
  const std::optional<std::size_t> reader =
      fusion::only_reader(context.model, fusion::Readers(context.model), product, "Add");
  if (!reader) return std::nullopt;
  // The only reader, so `product` is one of its two inputs once: Add(product, product) has two readers.
  const Node* add = &context.model.nodes[*reader];
  const std::optional<std::string> other = fusion::other_input(*add, product);
  if (!other || !context.is_constant(*other)) return std::nullopt;
  const Tensor* y = context.value(product);
  const Tensor* bias = context.value(*other);
  const std::int64_t n = context.value(matmul.inputs[1])->shape.back();
  // The bias is one value per output column: [n], [1, n], [1, 1, n], ... and no more dimensions than the product.
  const Shape& bs = bias->shape;
  bool per_column = !bs.empty() && bs.back() == n && bs.size() <= y->shape.size();
  for (std::size_t d = 0; d + 1 < bs.size(); ++d) per_column = per_column && bs[d] == 1;
  if (!per_column || context.value(add->outputs[0])->shape != y->shape) return std::nullopt;
  return BiasAdd{add, add->outputs[0], bias->data};
}

std::unique_ptr<Step> make_matmul_step(const Node& node, const StepContext& context, const BiasAdd* bias_add) {
  const Tensor* a = context.value(node.inputs[0]);
  const Tensor* b = context.value(node.inputs[1]);
  if (!context.is_constant(node.inputs[1]) || context.is_constant(node.inputs[0])) {
    if (a->shape.size() < 2 || b->shape.size() < 2 || a->numel() == 0 || b->numel() == 0) return nullptr;
    return std::make_unique<RuntimeMatMulStep>(a, b, context.value(node.outputs[0]));
  }
  if (a->shape.size() < 2 || b->shape.size() != 2) return nullptr;
  const std::int64_t k = b->shape[0], n = b->shape[1];
  const std::int64_t m = k == 0 ? 0 : a->numel() / k;
  if (k == 0) return nullptr;
  return std::make_unique<MatMulStep>(
      make_product(context, node.inputs[1], WeightLayout::transposed, 0, n, k,
                   bias_add ? bias_add->bias : std::vector<float>{}, m),
      a, context.value(bias_add ? bias_add->output : node.outputs[0]));
}

}  // namespace eie::network
