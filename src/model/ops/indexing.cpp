// Operators that pick elements: Gather (embeddings: token ids are checked against the table at run time),
// Slice, Split, Where and Trilu. Index and slice parameters that are not data (Slice's starts and ends, Split's
// sizes) must be constants or computed from the graph input shapes (fold_shapes evaluates those at plan time).
#include <algorithm>

#include "model/ops/ops.h"
#include "model/ops/strided.h"

namespace eie::ops {

SliceGeometry resolve_slice(const Node& node, const Shape& data, std::vector<std::int64_t> starts,
                            std::vector<std::int64_t> ends, std::vector<std::int64_t> axes,
                            std::vector<std::int64_t> steps) {
  const auto rank = static_cast<std::int64_t>(data.size());
  if (axes.empty()) {
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    throw node_error(node, fmt::format("starts, ends, axes and steps have {}, {}, {} and {} values", starts.size(),
                                       ends.size(), axes.size(), steps.size()));
  }
  SliceGeometry g{data, std::vector<std::int64_t>(data.size(), 0), std::vector<std::int64_t>(data.size(), 1)};
  std::vector<bool> seen(data.size(), false);
  constexpr std::int64_t kLongStep = std::int64_t{1} << 40;  // longer than any dimension: one element
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const auto a = static_cast<std::size_t>(normalize_axis(node, axes[i], rank));
    if (seen[a]) throw node_error(node, fmt::format("axis {} appears twice", axes[i]));
    seen[a] = true;
    const std::int64_t dim = data[a];
    const std::int64_t step = std::clamp(steps[i], -kLongStep, kLongStep);
    if (step == 0) throw node_error(node, "a step is 0");
    const auto resolve = [&](std::int64_t x) {
      if (x < 0) x = x <= INT64_MIN + dim ? -1 : x + dim;
      return step > 0 ? std::clamp(x, std::int64_t{0}, dim) : std::clamp(x, std::int64_t{-1}, dim - 1);
    };
    const std::int64_t b = resolve(starts[i]), e = resolve(ends[i]);
    g.shape[a] = step > 0 ? (e > b ? (e - b + step - 1) / step : 0) : (b > e ? (b - e - step - 1) / -step : 0);
    g.first[a] = b;
    g.step[a] = step;
  }
  return g;
}

namespace {

std::int64_t rank_of(const Shape& shape) { return static_cast<std::int64_t>(shape.size()); }

std::vector<std::int64_t> constant_ints(const Node& node, const Model& model, std::size_t input, const char* what) {
  std::vector<std::int64_t> out;
  if (input >= node.inputs.size() || node.inputs[input].empty()) return out;
  const std::optional<Tensor> t = model.constant(node.inputs[input]);
  if (!t) {
    throw node_error(node, fmt::format("{} input '{}' depends on run-time data values; eie plans shapes from "
                                       "constants and the graph input shapes", what, node.inputs[input]));
  }
  for (const float v : t->data) out.push_back(to_int64(v));
  return out;
}

class Gather final : public Operator {
 public:
  Gather(const Node& node) : Operator(node), axis_(node.attr_int("axis", 0)) {}
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const Shape &data = inputs[0], &indices = inputs[1];
    const auto axis = static_cast<std::size_t>(normalize_axis(node(), axis_, rank_of(data)));
    Shape out(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(axis));
    out.insert(out.end(), indices.begin(), indices.end());
    out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.end());
    return {out};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const Tensor &data = *inputs[0], &indices = *inputs[1];
    const auto axis = static_cast<std::size_t>(normalize_axis(node(), axis_, rank_of(data.shape)));
    std::int64_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= data.shape[d];
    for (std::size_t d = axis + 1; d < data.shape.size(); ++d) inner *= data.shape[d];
    const std::int64_t n = data.shape[axis];
    float* y = outputs[0]->data.data();
    for (std::int64_t o = 0; o < outer; ++o) {
      for (const float index : indices.data) {
        const std::int64_t i = to_int64(index);
        if (i < -n || i >= n || static_cast<float>(i) != index) {
          throw node_error(node(), fmt::format("index {} is out of range for axis {} of size {}", index, axis, n));
        }
        const float* row = data.data.data() + (o * n + (i < 0 ? i + n : i)) * inner;
        y = std::copy(row, row + inner, y);
      }
    }
  }

 private:
  std::int64_t axis_;
};

class Slice final : public Operator {
 public:
  Slice(const Node& node, const Model& model) : Operator(node) {
    if (node.inputs.size() > 1) {  // opset >= 10: inputs
      starts_ = constant_ints(node, model, 1, "starts");
      ends_ = constant_ints(node, model, 2, "ends");
      axes_ = constant_ints(node, model, 3, "axes");
      steps_ = constant_ints(node, model, 4, "steps");
    } else {
      starts_ = node.attr_ints("starts");
      ends_ = node.attr_ints("ends");
      axes_ = node.attr_ints("axes");
    }
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override { return {geometry(inputs[0]).shape}; }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    gather_strided(*inputs[0], *strided_read({inputs[0]->shape}), *outputs[0]);
  }
  std::optional<StridedRead> strided_read(const std::vector<Shape>& inputs) const override {
    const Shape& x = inputs[0];
    const SliceGeometry g = geometry(x);
    // Element index i of the output reads x at sum_d (first_d + i_d * step_d) * stride_d.
    StridedRead read{0, contiguous_strides(x)};
    for (std::size_t d = 0; d < x.size(); ++d) {
      if (g.shape[d] > 0) read.offset += g.first[d] * read.strides[d];
      // A long step takes one element: never overflows.
      read.strides[d] = g.shape[d] > 1 ? read.strides[d] * g.step[d] : 0;
    }
    return read;
  }

 private:
  SliceGeometry geometry(const Shape& x) const { return resolve_slice(node(), x, starts_, ends_, axes_, steps_); }
  std::vector<std::int64_t> starts_, ends_, axes_, steps_;
};

// Split into equal parts, or the sizes of the constant second input / the `split` attribute (opset < 13).
class Split final : public Operator {
 public:
  Split(const Node& node, const Model& model) : Operator(node), axis_(node.attr_int("axis", 0)) {
    sizes_ = node.inputs.size() > 1 ? constant_ints(node, model, 1, "split") : node.attr_ints("split");
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const Shape& x = inputs[0];
    const auto axis = static_cast<std::size_t>(normalize_axis(node(), axis_, rank_of(x)));
    const std::vector<std::int64_t> sizes = part_sizes(x[axis]);
    std::vector<Shape> out;
    for (const std::int64_t size : sizes) {
      out.push_back(x);
      out.back()[axis] = size;
    }
    return out;
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const Tensor& x = *inputs[0];
    const auto axis = static_cast<std::size_t>(normalize_axis(node(), axis_, rank_of(x.shape)));
    std::int64_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= x.shape[d];
    for (std::size_t d = axis + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
    const std::vector<std::int64_t> sizes = part_sizes(x.shape[axis]);
    std::int64_t offset = 0;
    for (std::size_t p = 0; p < sizes.size(); ++p) {
      const std::int64_t row = sizes[p] * inner;
      if (p < outputs.size() && outputs[p]) {
        for (std::int64_t o = 0; o < outer; ++o) {
          const auto from = x.data.begin() + o * x.shape[axis] * inner + offset;
          std::copy(from, from + row, outputs[p]->data.begin() + o * row);
        }
      }
      offset += row;
    }
  }

 private:
  std::vector<std::int64_t> part_sizes(std::int64_t dim) const {
    const auto parts = static_cast<std::int64_t>(node().outputs.size());
    if (sizes_.empty()) {
      const std::int64_t num = node().attr_int("num_outputs", parts);
      if (num != parts || dim % parts != 0) {
        throw node_error(node(), fmt::format("cannot split dimension {} into {} equal parts", dim, parts));
      }
      return std::vector<std::int64_t>(static_cast<std::size_t>(parts), dim / parts);
    }
    std::int64_t total = 0;
    for (const std::int64_t s : sizes_) {
      if (s < 0 || s > dim) {
        throw node_error(node(), fmt::format("split sizes {} do not fit dimension {}", shape_string(sizes_), dim));
      }
      total += s;
    }
    if (total != dim || static_cast<std::int64_t>(sizes_.size()) != parts) {
      throw node_error(node(), fmt::format("split sizes {} do not add up to dimension {} in {} parts",
                                           shape_string(sizes_), dim, parts));
    }
    return sizes_;
  }
  std::int64_t axis_;
  std::vector<std::int64_t> sizes_;
};

class Where final : public Operator {
 public:
  using Operator::Operator;
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    return {broadcast_shapes(node(), broadcast_shapes(node(), inputs[0], inputs[1]), inputs[2])};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    Tensor& y = *outputs[0];
    std::vector<std::vector<std::int64_t>> strides;
    for (const Tensor* t : inputs) strides.push_back(broadcast_strides(t->shape, y.shape));
    for_each_offset(y.shape, strides, {0, 0, 0}, [&](std::int64_t i, const std::vector<std::int64_t>& at) {
      const auto value = [&](std::size_t k) { return inputs[k]->data[static_cast<std::size_t>(at[k])]; };
      y.data[static_cast<std::size_t>(i)] = value(0) != 0.0f ? value(1) : value(2);
    });
  }
};

// Trilu: the lower (upper = 0) or upper triangle of the last two dimensions, diagonal offset k.
class Trilu final : public Operator {
 public:
  Trilu(const Node& node, const Model& model) : Operator(node), upper_(node.attr_int("upper", 1) != 0) {
    const std::vector<std::int64_t> k = constant_ints(node, model, 1, "k");
    if (k.size() > 1) throw node_error(node, "k must be a scalar");
    k_ = k.empty() ? 0 : std::clamp<std::int64_t>(k[0], -(std::int64_t{1} << 40), std::int64_t{1} << 40);
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    if (inputs[0].size() < 2) {
      throw node_error(node(), fmt::format("input has shape {}; needs rank >= 2", shape_string(inputs[0])));
    }
    return {inputs[0]};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const Tensor& x = *inputs[0];
    const std::int64_t rows = x.shape[x.shape.size() - 2], cols = x.shape.back();
    for (std::size_t i = 0; i < x.data.size(); ++i) {
      const auto at = static_cast<std::int64_t>(i);
      const std::int64_t r = at / cols % rows, c = at % cols;
      const bool keep = upper_ ? c - r >= k_ : c - r <= k_;
      outputs[0]->data[i] = keep ? x.data[i] : 0.0f;
    }
  }

 private:
  bool upper_;
  std::int64_t k_ = 0;
};

}  // namespace

std::unique_ptr<Operator> make_gather(const Node& node, const Model&) {
  expect_arity(node, 2, 2, 1);
  return std::make_unique<Gather>(node);
}
std::unique_ptr<Operator> make_slice(const Node& node, const Model& model) {
  expect_arity(node, 1, 5, 1);
  return std::make_unique<Slice>(node, model);
}
std::unique_ptr<Operator> make_split(const Node& node, const Model& model) {
  expect_arity(node, 1, 2, 1 << 16);
  return std::make_unique<Split>(node, model);
}
std::unique_ptr<Operator> make_where(const Node& node, const Model&) {
  expect_arity(node, 3, 3, 1);
  return std::make_unique<Where>(node);
}
std::unique_ptr<Operator> make_trilu(const Node& node, const Model& model) {
  expect_arity(node, 1, 2, 1);
  return std::make_unique<Trilu>(node, model);
}

}  // namespace eie::ops
