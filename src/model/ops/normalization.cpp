// Statistics over trailing axes: LayerNormalization (opset 17, with its Mean and InvStdDev outputs) and
// ReduceMean (the opset-14 decomposition of layer normalisation runs as ReduceMean, Sub, Pow, ReduceMean, Add,
// Sqrt, Div, Mul, Add). Sums in double.
#include <algorithm>
#include <cmath>

#include "model/ops/ops.h"
#include "model/ops/strided.h"

namespace eie::ops {
namespace {

// sum_i (x_i - center) in double, or of the squares (the variance's sum): eight independent sums, so that the
// loop runs at the adder's throughput rather than one add's latency per element (a transformer's decode step
// normalises rows of a few hundred values dozens of times).
template <bool squares>
double sum_in_double(const float* x, std::int64_t n, double center) {
  double partial[8] = {};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) {
      const double d = x[i + j] - center;
      partial[j] += squares ? d * d : d;
    }
  }
  double sum = 0.0;
  for (const double p : partial) sum += p;
  for (; i < n; ++i) {
    const double d = x[i] - center;
    sum += squares ? d * d : d;
  }
  return sum;
}

class LayerNorm final : public Operator {
 public:
  LayerNorm(const Node& node)
      : Operator(node), axis_(node.attr_int("axis", -1)), epsilon_(node.attr_float("epsilon", 1e-5f)) {
    require_attribute(node, node.attr_int("stash_type", 1) == 1, "stash_type",
                      std::to_string(node.attr_int("stash_type", 1)), "1: float statistics");
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const std::int64_t inner = inner_size(inputs[0]);
    for (std::size_t i = 1; i < 3 && i < inputs.size(); ++i) {
      if (node().inputs[i].empty()) continue;
      if (shape_numel(inputs[i]) != inner) {
        throw node_error(node(), fmt::format("input {} has shape {}, which does not match the normalised {} values "
                                             "of {}", i, shape_string(inputs[i]), inner, shape_string(inputs[0])));
      }
    }
    // Mean and InvStdDev: the input's shape with the normalised dimensions 1.
    Shape stats = inputs[0];
    const auto axis = normalize_axis(node(), axis_, static_cast<std::int64_t>(stats.size()));
    std::fill(stats.begin() + axis, stats.end(), 1);
    return {inputs[0], stats, stats};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const Tensor& x = *inputs[0];
    Tensor* mean_out = outputs.size() > 1 ? outputs[1] : nullptr;
    Tensor* inv_out = outputs.size() > 2 ? outputs[2] : nullptr;
    const Tensor* scale = inputs[1];
    const Tensor* bias = inputs.size() > 2 ? inputs[2] : nullptr;
    const std::int64_t inner = inner_size(x.shape);
    const std::int64_t rows = inner == 0 ? 0 : x.numel() / inner;
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* in = x.data.data() + r * inner;
      float* out = outputs[0]->data.data() + r * inner;
      const double mean = sum_in_double<false>(in, inner, 0.0) / static_cast<double>(inner);
      const double inv =
          1.0 / std::sqrt(sum_in_double<true>(in, inner, mean) / static_cast<double>(inner) + epsilon_);
      if (mean_out) mean_out->data[static_cast<std::size_t>(r)] = static_cast<float>(mean);
      if (inv_out) inv_out->data[static_cast<std::size_t>(r)] = static_cast<float>(inv);
      // The statistics in double; each output is one float rounding of (x - mean) * inv * scale + bias.
      const float* g = scale->data.data();
      const float* b = bias ? bias->data.data() : nullptr;
      for (std::int64_t i = 0; i < inner; ++i) {
        const double v = (in[i] - mean) * inv * g[i];
        out[i] = static_cast<float>(b ? v + b[i] : v);
      }
    }
  }

 private:
  std::int64_t inner_size(const Shape& x) const {
    const auto axis = static_cast<std::size_t>(normalize_axis(node(), axis_, static_cast<std::int64_t>(x.size())));
    std::int64_t inner = 1;
    for (std::size_t d = axis; d < x.size(); ++d) inner *= x[d];
    return inner;
  }
  std::int64_t axis_;
  float epsilon_;
};

// ReduceMean over the given axes (attribute before opset 18, constant input from 18; none: all axes).
class ReduceMean final : public Operator {
 public:
  ReduceMean(const Node& node, const Model& model)
      : Operator(node), keep_dims_(node.attr_int("keepdims", 1) != 0), axes_(node.attr_ints("axes")) {
    if (node.inputs.size() > 1 && !node.inputs[1].empty()) {
      const std::optional<Tensor> axes = model.constant(node.inputs[1]);
      if (!axes) {
        throw node_error(node, fmt::format("axes input '{}' depends on run-time data values; eie plans shapes from "
                                           "constants and the graph input shapes", node.inputs[1]));
      }
      axes_.clear();
      for (const float v : axes->data) axes_.push_back(to_int64(v));
    }
    no_op_ = axes_.empty() && node.attr_int("noop_with_empty_axes", 0) != 0;
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const std::vector<bool> reduced = reduced_axes(inputs[0]);
    Shape out;
    for (std::size_t d = 0; d < inputs[0].size(); ++d) {
      if (!reduced[d]) out.push_back(inputs[0][d]);
      else if (keep_dims_) out.push_back(1);
    }
    return {out};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const Tensor& x = *inputs[0];
    Tensor& y = *outputs[0];
    if (no_op_) {
      std::copy(x.data.begin(), x.data.end(), y.data.begin());
      return;
    }
    const std::vector<bool> reduced = reduced_axes(x.shape);
    const double count = y.data.empty() ? 1.0 : static_cast<double>(x.data.size()) / static_cast<double>(y.data.size());
    // The reduced elements of each output contiguous (the reduced axes after the kept ones, size-1 axes aside,
    // as LayerNorm's decomposition reduces the last axis): one running sum per output, in the same order as the
    // general loop below, so the results are the same.
    bool trailing = true, reducing = false;
    for (std::size_t d = 0; d < x.shape.size(); ++d) {
      if (x.shape[d] == 1) continue;
      if (reduced[d]) reducing = true;
      else if (reducing) trailing = false;
    }
    if (trailing && !y.data.empty()) {
      const std::size_t inner = x.data.size() / y.data.size();
      for (std::size_t o = 0; o < y.data.size(); ++o) {
        const float* v = x.data.data() + o * inner;
        double sum = 0.0;
        for (std::size_t i = 0; i < inner; ++i) sum += v[i];
        y.data[o] = static_cast<float>(sum / count);
      }
      return;
    }
    // Sum every input element into its output element: the output index skips the reduced dimensions.
    std::vector<double> sums(y.data.size(), 0.0);
    const std::size_t rank = x.shape.size();
    std::vector<std::int64_t> out_strides(rank, 0);
    std::int64_t stride = 1;
    for (std::size_t d = rank; d-- > 0;) {
      if (reduced[d]) continue;
      out_strides[d] = stride;
      stride *= x.shape[d];
    }
    for_each_offset(x.shape, {out_strides}, {0}, [&](std::int64_t i, const std::vector<std::int64_t>& at) {
      sums[static_cast<std::size_t>(at[0])] += x.data[static_cast<std::size_t>(i)];
    });
    for (std::size_t i = 0; i < y.data.size(); ++i) y.data[i] = static_cast<float>(sums[i] / count);
  }

 private:
  std::vector<bool> reduced_axes(const Shape& x) const {
    const auto rank = static_cast<std::int64_t>(x.size());
    std::vector<bool> reduced(x.size(), axes_.empty() && !no_op_);
    for (const std::int64_t axis : axes_) {
      const auto a = static_cast<std::size_t>(normalize_axis(node(), axis, rank));
      if (reduced[a]) throw node_error(node(), fmt::format("axis {} appears twice", axis));
      reduced[a] = true;
    }
    return reduced;
  }
  bool keep_dims_;
  bool no_op_ = false;
  std::vector<std::int64_t> axes_;
};

}  // namespace

std::unique_ptr<Operator> make_layer_norm(const Node& node, const Model&) {
  expect_arity(node, 2, 3, 3);
  return std::make_unique<LayerNorm>(node);
}

std::unique_ptr<Operator> make_reduce_mean(const Node& node, const Model& model) {
  expect_arity(node, 1, 2, 1);
  return std::make_unique<ReduceMean>(node, model);
}

}  // namespace eie::ops
