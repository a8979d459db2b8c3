// Operators that move data without arithmetic: Flatten, Reshape and Expand (their shapes must be constants or
// computed from the graph input shapes: fold_shapes evaluates those when the graph is planned), Transpose,
// Concat, Squeeze, Unsqueeze.
#include <algorithm>
#include <numeric>

#include "model/ops/ops.h"
#include "model/ops/strided.h"

namespace eie::ops {
namespace {

class Copy : public Operator {  // Flatten, Reshape, Squeeze, Unsqueeze: same data, new shape
 public:
  using Operator::Operator;
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    std::copy(inputs[0]->data.begin(), inputs[0]->data.end(), outputs[0]->data.begin());
  }
  std::optional<StridedRead> strided_read(const std::vector<Shape>& inputs) const override {
    return StridedRead{0, contiguous_strides(infer(inputs)[0])};
  }
};

class Flatten final : public Copy {
 public:
  Flatten(const Node& node) : Copy(node), axis_(node.attr_int("axis", 1)) {}
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const Shape& x = inputs[0];
    const std::int64_t axis = normalize_axis(node(), axis_, static_cast<std::int64_t>(x.size()), true);
    std::int64_t outer = 1;
    for (std::int64_t d = 0; d < axis; ++d) outer *= x[static_cast<std::size_t>(d)];
    const std::int64_t total = shape_numel(x);
    return {{outer, outer == 0 ? 0 : total / outer}};
  }

 private:
  std::int64_t axis_;
};

class Reshape final : public Copy {
 public:
  Reshape(const Node& node, const Model& model) : Copy(node), allow_zero_(node.attr_int("allowzero", 0) != 0) {
    const std::optional<Tensor> shape = model.constant(node.inputs[1]);
    if (!shape) {
      throw node_error(node, fmt::format("shape input '{}' depends on run-time data values; eie plans shapes from "
                                         "constants and the graph input shapes", node.inputs[1]));
    }
    for (const float v : shape->data) target_.push_back(to_int64(v));
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const Shape& x = inputs[0];
    Shape out = target_;
    std::int64_t known = 1, infer_at = -1;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i] == 0 && !allow_zero_) {
        if (i >= x.size()) throw node_error(node(), fmt::format("shape {} copies dimension {} of {}", shape_string(target_), i, shape_string(x)));
        out[i] = x[i];
      }
      if (out[i] == -1) {
        if (infer_at >= 0) throw node_error(node(), fmt::format("shape {} has two -1 dimensions", shape_string(target_)));
        infer_at = static_cast<std::int64_t>(i);
      } else if (out[i] < 0) {
        throw node_error(node(), fmt::format("shape {} has a negative dimension", shape_string(target_)));
      } else if (__builtin_mul_overflow(known, out[i], &known)) {  // a huge dimension (a "to the end" sentinel)
        throw node_error(node(), fmt::format("shape {} has too many elements", shape_string(target_)));
      }
    }
    const std::int64_t total = shape_numel(x);
    if (infer_at >= 0) {
      if (known == 0 || total % known != 0) {
        throw node_error(node(), fmt::format("cannot reshape {} to {}", shape_string(x), shape_string(target_)));
      }
      out[static_cast<std::size_t>(infer_at)] = total / known;
    } else if (known != total) {
      throw node_error(node(), fmt::format("cannot reshape {} ({} values) to {}", shape_string(x), total, shape_string(out)));
    }
    return {out};
  }

 private:
  bool allow_zero_;
  Shape target_;
};

// Squeeze and Unsqueeze: axes from the constant second input (opset 13) or the attribute (earlier opsets).
class Squeeze final : public Copy {
 public:
  Squeeze(const Node& node, const Model& model) : Copy(node), unsqueeze_(node.op_type == "Unsqueeze") {
    axes_ = node.attr_ints("axes");
    if (node.inputs.size() > 1 && !node.inputs[1].empty()) {
      const std::optional<Tensor> axes = model.constant(node.inputs[1]);
      if (!axes) {
        throw node_error(node, fmt::format("axes input '{}' depends on run-time data values; eie plans shapes from "
                                           "constants and the graph input shapes", node.inputs[1]));
      }
      axes_.clear();
      for (const float v : axes->data) axes_.push_back(to_int64(v));
    }
    if (unsqueeze_ && axes_.empty()) throw node_error(node, "needs axes");
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const Shape& x = inputs[0];
    const auto rank = static_cast<std::int64_t>(x.size() + (unsqueeze_ ? axes_.size() : 0));
    std::vector<bool> marked(static_cast<std::size_t>(rank), false);
    for (const std::int64_t axis : axes_) {
      const auto a = static_cast<std::size_t>(normalize_axis(node(), axis, rank));
      if (marked[a]) throw node_error(node(), fmt::format("axis {} appears twice", axis));
      marked[a] = true;
    }
    Shape out;
    if (unsqueeze_) {
      for (std::size_t i = 0, k = 0; i < marked.size(); ++i) out.push_back(marked[i] ? 1 : x[k++]);
      return {out};
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
      const bool drop = axes_.empty() ? x[i] == 1 : static_cast<bool>(marked[i]);
      if (drop && x[i] != 1) throw node_error(node(), fmt::format("cannot squeeze dimension {} of {} (not 1)", i, shape_string(x)));
      if (!drop) out.push_back(x[i]);
    }
    return {out};
  }

 private:
  bool unsqueeze_;
  std::vector<std::int64_t> axes_;
};

// Expand: the input broadcast (numpy rules, both ways) with a constant shape.
class Expand final : public Operator {
 public:
  Expand(const Node& node, const Model& model) : Operator(node) {
    const std::optional<Tensor> shape = model.constant(node.inputs[1]);
    if (!shape) {
      throw node_error(node, fmt::format("shape input '{}' depends on run-time data values; eie plans shapes from "
                                         "constants and the graph input shapes", node.inputs[1]));
    }
    for (const float v : shape->data) {
      if (v < 0.0f || v > 16777216.0f) throw node_error(node, fmt::format("shape has a dimension {}", v));
      target_.push_back(static_cast<std::int64_t>(v));
    }
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    return {broadcast_shapes(node(), inputs[0], target_)};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    gather_strided(*inputs[0], *strided_read({inputs[0]->shape}), *outputs[0]);
  }
  std::optional<StridedRead> strided_read(const std::vector<Shape>& inputs) const override {
    return StridedRead{0, broadcast_strides(inputs[0], infer(inputs)[0])};
  }

 private:
  Shape target_;
};

class Transpose final : public Operator {
 public:
  Transpose(const Node& node) : Operator(node), perm_(node.attr_ints("perm")) {}
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const std::vector<std::int64_t> p = perm(inputs[0].size());
    Shape out(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) out[i] = inputs[0][static_cast<std::size_t>(p[i])];
    return {out};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    gather_strided(*inputs[0], *strided_read({inputs[0]->shape}), *outputs[0]);
  }
  std::optional<StridedRead> strided_read(const std::vector<Shape>& inputs) const override {
    const std::size_t rank = inputs[0].size();
    const std::vector<std::int64_t> p = perm(rank), in_strides = contiguous_strides(inputs[0]);
    StridedRead read;  // the input stride of each output dimension
    for (std::size_t i = 0; i < rank; ++i) read.strides.push_back(in_strides[static_cast<std::size_t>(p[i])]);
    return read;
  }

 private:
  std::vector<std::int64_t> perm(std::size_t rank) const {
    if (perm_.empty()) {
      std::vector<std::int64_t> p(rank);
      for (std::size_t i = 0; i < rank; ++i) p[i] = static_cast<std::int64_t>(rank - 1 - i);
      return p;
    }
    std::vector<std::int64_t> sorted = perm_;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      if (sorted.size() != rank || sorted[i] != static_cast<std::int64_t>(i)) {
        throw node_error(node(), fmt::format("perm {} is not a permutation of rank {}", shape_string(perm_), rank));
      }
    }
    return perm_;
  }
  std::vector<std::int64_t> perm_;
};

class Concat final : public Operator {
 public:
  Concat(const Node& node) : Operator(node), axis_(node.attr_int("axis", 0)) {}
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    Shape out = inputs[0];
    const std::int64_t axis = normalize_axis(node(), axis_, static_cast<std::int64_t>(out.size()));
    for (std::size_t i = 1; i < inputs.size(); ++i) {
      bool fits = inputs[i].size() == out.size();
      for (std::size_t d = 0; fits && d < out.size(); ++d) fits = d == static_cast<std::size_t>(axis) || inputs[i][d] == out[d];
      if (!fits) {
        throw node_error(node(), fmt::format("input {} has shape {}, which does not concatenate with {} on axis {}", i,
                                             shape_string(inputs[i]), shape_string(inputs[0]), axis_));
      }
      out[static_cast<std::size_t>(axis)] += inputs[i][static_cast<std::size_t>(axis)];
    }
    return {out};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    Tensor& y = *outputs[0];
    const std::size_t axis = static_cast<std::size_t>(normalize_axis(node(), axis_, static_cast<std::int64_t>(y.shape.size())));
    std::int64_t outer = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= y.shape[d];
    const std::int64_t out_row = y.data.size() == 0 ? 0 : static_cast<std::int64_t>(y.data.size()) / std::max<std::int64_t>(outer, 1);
    std::int64_t offset = 0;
    for (const Tensor* x : inputs) {
      const std::int64_t row = outer == 0 ? 0 : static_cast<std::int64_t>(x->data.size()) / outer;
      for (std::int64_t o = 0; o < outer; ++o) {
        std::copy_n(x->data.begin() + o * row, row, y.data.begin() + o * out_row + offset);
      }
      offset += row;
    }
  }

 private:
  std::int64_t axis_;
};

}  // namespace

std::unique_ptr<Operator> make_flatten(const Node& node, const Model&) {
  expect_arity(node, 1, 1, 1);
  return std::make_unique<Flatten>(node);
}
std::unique_ptr<Operator> make_reshape(const Node& node, const Model& model) {
  expect_arity(node, 2, 2, 1);
  return std::make_unique<Reshape>(node, model);
}
std::unique_ptr<Operator> make_squeeze(const Node& node, const Model& model) {
  expect_arity(node, 1, 2, 1);
  return std::make_unique<Squeeze>(node, model);
}
std::unique_ptr<Operator> make_expand(const Node& node, const Model& model) {
  expect_arity(node, 2, 2, 1);
  return std::make_unique<Expand>(node, model);
}
std::unique_ptr<Operator> make_transpose(const Node& node, const Model&) {
  expect_arity(node, 1, 1, 1);
  return std::make_unique<Transpose>(node);
}
std::unique_ptr<Operator> make_concat(const Node& node, const Model&) {
  expect_arity(node, 1, 1 << 20, 1);
  return std::make_unique<Concat>(node);
}

}  // namespace eie::ops
