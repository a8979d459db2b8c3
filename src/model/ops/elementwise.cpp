// Element-wise operators with one input: Relu, LeakyRelu, Sigmoid, Tanh, Erf, Gelu (exact and tanh), Sqrt,
// Neg, Reciprocal, Cast (to an integer type: truncated; to bool: 0 or 1; to a float type: the value), and the
// identities (Identity, and Dropout, which is the identity at inference).
#include <algorithm>
#include <cmath>
#include <string>

#include "model/ops/ops.h"

namespace eie::ops {
namespace {

// erf as x P(x^2) / Q(x^2) on [-4, 4], the rational approximation XLA and Eigen use (outside [-4, 4] erf is +-1 in
// float): within 3.4e-7 of erf in double everywhere, NaN stays NaN. A loop of multiply-adds and one division that the
// compiler vectorizes, where std::erf takes ~13 ns an element: the GELUs of a transformer's decode step cost ~50 us.
inline float erf_rational(float v) {
  const float x = std::max(std::min(v, 4.0f), -4.0f);
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 - 2.10102402082508e-06f;
  p = p * x2 - 5.69250639462346e-05f;
  p = p * x2 - 7.34990630326855e-04f;
  p = p * x2 - 2.95459980854025e-03f;
  p = p * x2 - 1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 - 2.13374055278905e-04f;
  q = q * x2 - 1.68282697438203e-03f;
  q = q * x2 - 7.37332916720468e-03f;
  q = q * x2 - 1.42647390514189e-02f;
  return x * p / q;
}

// y = erf(x), or with `gelu` y = 0.5 x (1 + erf(x / sqrt 2)). Vectorized by GCC with -fno-trapping-math (CMakeLists);
// on x86 also built for AVX2 and chosen when the CPU has it (8 floats a step instead of SSE2's 4: ~1.5x).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void erf_loop(const float* x, float* y, std::size_t n, bool gelu) {
  if (gelu) {
    for (std::size_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.0f + erf_rational(x[i] * float(M_SQRT1_2)));
  } else {
    for (std::size_t i = 0; i < n; ++i) y[i] = erf_rational(x[i]);
  }
}

enum class Kind {
  relu, leaky_relu, sigmoid, tanh, erf, gelu, gelu_tanh, sqrt, neg, reciprocal, to_int, to_bool, identity
};

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
      case Kind::erf: erf_loop(x.data(), y.data(), n, false); break;
      case Kind::gelu: erf_loop(x.data(), y.data(), n, true); break;
      case Kind::gelu_tanh:
        for (std::size_t i = 0; i < n; ++i) {
          const double v = x[i];
          y[i] = static_cast<float>(0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v))));
        }
        break;
      case Kind::sqrt: for (std::size_t i = 0; i < n; ++i) y[i] = std::sqrt(x[i]); break;
      case Kind::neg: for (std::size_t i = 0; i < n; ++i) y[i] = -x[i]; break;
      case Kind::reciprocal: for (std::size_t i = 0; i < n; ++i) y[i] = 1.0f / x[i]; break;
      case Kind::to_int: for (std::size_t i = 0; i < n; ++i) y[i] = std::trunc(x[i]); break;
      case Kind::to_bool: for (std::size_t i = 0; i < n; ++i) y[i] = x[i] != 0.0f ? 1.0f : 0.0f; break;
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
  if (node.op_type == "Erf") return std::make_unique<Unary>(node, Kind::erf);
  if (node.op_type == "Sqrt") return std::make_unique<Unary>(node, Kind::sqrt);
  if (node.op_type == "Neg") return std::make_unique<Unary>(node, Kind::neg);
  if (node.op_type == "Reciprocal") return std::make_unique<Unary>(node, Kind::reciprocal);
  if (node.op_type == "Gelu") {
    const std::string approximate = node.attr_string("approximate", "none");
    require_attribute(node, approximate == "none" || approximate == "tanh", "approximate", approximate, "none, tanh");
    return std::make_unique<Unary>(node, approximate == "none" ? Kind::gelu : Kind::gelu_tanh);
  }
  if (node.op_type == "Cast") {
    // ONNX TensorProto data types: 1 float, 10 float16, 11 double, 16 bfloat16, 9 bool, 2-7 and 12-13 integers.
    const std::int64_t to = node.attr_int("to", 0);
    if (to == 9) return std::make_unique<Unary>(node, Kind::to_bool);
    if ((to >= 2 && to <= 7) || to == 12 || to == 13) return std::make_unique<Unary>(node, Kind::to_int);
    require_attribute(node, to == 1 || to == 11, "to", std::to_string(to),
                      "float, double, bool and the integer types: eie holds values in fp32");
  }
  return std::make_unique<Unary>(node, Kind::identity);
}

}  // namespace eie::ops
