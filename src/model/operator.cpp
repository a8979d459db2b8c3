// The operator table: one line per ONNX operator, mapping it to its family's factory in src/model/ops/.
#include <algorithm>
#include <map>

#include <fmt/ranges.h>

#include "model/ops/ops.h"

namespace eie {
namespace {

const std::map<std::string, ops::Factory>& table() {
  static const std::map<std::string, ops::Factory> factories = {
      {"Add", ops::make_binary},          {"AveragePool", ops::make_pool},
      {"BatchNormalization", ops::make_batch_norm},
      {"Cast", ops::make_unary},          {"Concat", ops::make_concat},
      {"Conv", ops::make_conv},           {"Div", ops::make_binary},
      {"Dropout", ops::make_unary},       {"Equal", ops::make_binary},
      {"Erf", ops::make_unary},           {"Expand", ops::make_expand},
      {"Flatten", ops::make_flatten},     {"Gather", ops::make_gather},
      {"Gelu", ops::make_unary},          {"Gemm", ops::make_gemm},
      {"GlobalAveragePool", ops::make_global_average_pool},
      {"Identity", ops::make_unary},      {"LayerNormalization", ops::make_layer_norm},
      {"LeakyRelu", ops::make_unary},     {"LogSoftmax", ops::make_softmax},
      {"LSTM", ops::make_lstm},           {"MatMul", ops::make_matmul},
      {"MaxPool", ops::make_pool},        {"Mul", ops::make_binary},
      {"Neg", ops::make_unary},           {"Pow", ops::make_binary},
      {"Reciprocal", ops::make_unary},   {"ReduceMean", ops::make_reduce_mean},
      {"Relu", ops::make_unary},          {"Reshape", ops::make_reshape},
      {"Sigmoid", ops::make_unary},       {"Slice", ops::make_slice},
      {"Softmax", ops::make_softmax},     {"Split", ops::make_split},
      {"Sqrt", ops::make_unary},          {"Squeeze", ops::make_squeeze},
      {"Sub", ops::make_binary},          {"Tanh", ops::make_unary},
      {"Transpose", ops::make_transpose}, {"Trilu", ops::make_trilu},
      {"Unsqueeze", ops::make_squeeze},   {"Where", ops::make_where},
  };
  return factories;
}

}  // namespace

std::string Operator::where() const { return fmt::format("node '{}' ({})", node_.name, node_.op_type); }

std::unique_ptr<Operator> make_operator(const Node& node, const Model& model) {
  const auto it = table().find(node.op_type);
  if (it == table().end()) {
    throw Error(fmt::format("node '{}': operator {} is not supported (supported: {})", node.name, node.op_type,
                            fmt::join(supported_operators(), ", ")));
  }
  return it->second(node, model);
}

std::vector<std::string> supported_operators() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : table()) names.push_back(name);
  return names;
}

void check_runnable_type(const std::string& type, const std::string& what) {
  static const char* runnable[] = {"float", "double", "float16", "bfloat16", "int32", "int64", "bool"};
  if (std::find(std::begin(runnable), std::end(runnable), type) == std::end(runnable)) {
    throw Error(fmt::format("{} has element type {}; eie runs float, double, float16, bfloat16, int32, int64 "
                            "and bool tensors (in fp32)", what, type));
  }
}

namespace ops {

std::int64_t to_int64(float v) {
  if (v >= 9.2e18f) return INT64_MAX;
  if (v <= -9.2e18f) return INT64_MIN;
  if (v != v) return 0;  // NaN: no integer; whatever uses it then fails its own range checks
  return static_cast<std::int64_t>(v);
}

Error node_error(const Node& node, const std::string& message) {
  return Error(fmt::format("node '{}' ({}): {}", node.name, node.op_type, message));
}

std::int64_t normalize_axis(const Node& node, std::int64_t axis, std::int64_t rank, bool allow_end) {
  const std::int64_t limit = allow_end ? rank + 1 : rank;
  const std::int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= limit) throw node_error(node, fmt::format("axis {} is out of range for rank {}", axis, rank));
  return a;
}

Shape broadcast_shapes(const Node& node, const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw node_error(node, fmt::format("shapes {} and {} do not broadcast", shape_string(a), shape_string(b)));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<std::int64_t> broadcast_strides(const Shape& shape, const Shape& out) {
  std::vector<std::int64_t> strides(out.size(), 0);
  std::int64_t stride = 1;
  for (std::size_t k = 0; k < shape.size(); ++k) {
    const std::size_t i = shape.size() - 1 - k;
    const std::size_t o = out.size() - 1 - k;
    strides[o] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

void expect_arity(const Node& node, std::size_t min_inputs, std::size_t max_inputs, std::size_t max_outputs) {
  std::size_t present = 0;
  for (std::size_t i = 0; i < node.inputs.size() && i < min_inputs; ++i) present += !node.inputs[i].empty();
  if (node.inputs.size() < min_inputs || present < min_inputs || node.inputs.size() > max_inputs) {
    throw node_error(node, fmt::format("has {} inputs, expected {}..{}", node.inputs.size(), min_inputs, max_inputs));
  }
  if (node.outputs.empty() || node.outputs.size() > max_outputs) {
    throw node_error(node, fmt::format("has {} outputs, eie supports at most {}", node.outputs.size(), max_outputs));
  }
  for (std::size_t i = 1; i < node.outputs.size(); ++i) {
    if (!node.outputs[i].empty() && max_outputs == 1) throw node_error(node, "optional outputs are not supported");
  }
}

void require_attribute(const Node& node, bool ok, const std::string& attribute, const std::string& value,
                       const std::string& supported) {
  if (!ok) {
    throw node_error(node, fmt::format("attribute {} = {} is not supported ({})", attribute, value, supported));
  }
}

}  // namespace ops

void matmul_in_double(const float* a, const float* b, float* y, std::int64_t m, std::int64_t k, std::int64_t n) {
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (std::int64_t p = 0; p < k; ++p) sum += static_cast<double>(a[i * k + p]) * b[p * n + j];
      y[i * n + j] = static_cast<float>(sum);
    }
  }
}

std::vector<std::pair<std::int64_t, std::int64_t>> matmul_batch_pairs(const Shape& a_batch, const Shape& b_batch,
                                                                      const Shape& batch) {
  const std::vector<std::int64_t> sa = ops::broadcast_strides(a_batch, batch);
  const std::vector<std::int64_t> sb = ops::broadcast_strides(b_batch, batch);
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  const std::int64_t count = shape_numel(batch);
  for (std::int64_t t = 0; t < count; ++t) {
    std::int64_t ia = 0, ib = 0, rest = t;
    for (std::size_t d = batch.size(); d-- > 0;) {
      const std::int64_t i = rest % batch[d];
      rest /= batch[d];
      ia += i * sa[d];
      ib += i * sb[d];
    }
    pairs.emplace_back(ia, ib);
  }
  return pairs;
}

}  // namespace eie
