// Shape computations evaluated at plan time. Exporters write a graph's dynamic shapes as arithmetic on Shape's
// output (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, ConstantOfShape -> Equal -> Where -> Expand). Once
// the graph input shapes are known, every such value is a constant: this pass walks the graph in order, keeps
// the shape of every run-time tensor (inferred by the operators), evaluates each node whose inputs are all
// known (a constant, or a value computed here) and whose operator is one of the shape operators below, and
// turns its outputs into initializers. What is left is a static graph for exactly these input shapes, which
// the engine plans as before; other input shapes give other graphs.
//
// Values are held in double: every integer a shape needs is exact there (an integer result beyond 2^53 is an
// overflow), and so are the huge "to the end" sentinels (INT64_MAX) Slice takes. Integer-ness is tracked only
// for what Div needs (integer division truncates): Shape, Size, Range of integers, Cast to an integer type,
// ConstantOfShape with an integer value and Equal give integers, other ops pass it on from their inputs;
// initializers count as float (the Model does not keep their element type).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>

#include <fmt/ranges.h>

#include "model/ops/ops.h"
#include "model/ops/strided.h"

namespace eie {
namespace {

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
// A shape computation is small (a shape, a mask over the sequence); a larger one is refused before it is
// allocated, which also bounds what a hostile file can make eie allocate at plan time.
constexpr std::int64_t kMaxFoldedElements = std::int64_t{1} << 24;

struct Value {
  Shape shape;
  std::vector<double> data;
  bool integer = false;
};

// An index, shape or bound as an integer, saturating: the sentinels stay "huge". NaN is no integer at all.
std::int64_t to_int(const Node& node, double v) {
  if (std::isnan(v)) throw ops::node_error(node, "a shape, index or bound value is NaN");
  if (v >= 9.2e18) return INT64_MAX;
  if (v <= -9.2e18) return INT64_MIN;
  return static_cast<std::int64_t>(v);
}

std::string value_string(const Value& v) {
  constexpr std::size_t kShown = 8;
  std::vector<std::string> items;
  for (std::size_t i = 0; i < v.data.size() && i < kShown; ++i) items.push_back(fmt::format("{}", v.data[i]));
  if (v.data.size() > kShown) items.push_back("...");
  return fmt::format("[{}]", fmt::join(items, ", "));
}

// Walks the elements of `out` with the broadcast offsets of each input.
template <typename F>
void broadcast_each(const Shape& out, const std::vector<const Shape*>& in, F&& f) {
  std::vector<std::vector<std::int64_t>> strides;
  for (const Shape* s : in) strides.push_back(ops::broadcast_strides(*s, out));
  ops::for_each_offset(out, strides, std::vector<std::int64_t>(in.size(), 0), f);
}

class Folder {
 public:
  explicit Folder(const Model& model) : model_(model) {}

  std::map<std::string, Shape> shapes;  // every run-time tensor's shape
  std::map<std::string, Value> values;  // folded values

  // The known value of `name` (a constant or a folded value), or null.
  const Value* known(const std::string& name) {
    if (const auto it = values.find(name); it != values.end()) return &it->second;
    if (std::optional<Tensor> t = model_.constant(name)) {
      Value v{t->shape, std::vector<double>(t->data.begin(), t->data.end()), false};
      return &values.emplace(name, std::move(v)).first->second;
    }
    return nullptr;
  }

  // Evaluates `node` into values when it is a shape operator with known inputs; false to keep it.
  bool fold(const Node& node) {
    static const std::set<std::string> shape_only = {"Shape", "Size", "ConstantOfShape", "Range"};
    static const std::set<std::string> foldable = {"Shape", "Size", "ConstantOfShape", "Range", "Gather", "Slice",
                                                   "Concat", "Unsqueeze", "Squeeze", "Expand", "Equal", "Where",
                                                   "Cast", "Add", "Sub", "Mul", "Div", "Neg", "Reshape", "Identity"};
    if (!foldable.count(node.op_type)) return false;
    // Each evaluation below reads its required inputs: check that they are there (as the operators do) first.
    static const std::map<std::string, std::pair<std::size_t, std::size_t>> arity = {
        {"Shape", {1, 1}}, {"Size", {1, 1}}, {"ConstantOfShape", {1, 1}}, {"Range", {3, 3}}, {"Gather", {2, 2}},
        {"Slice", {1, 5}}, {"Concat", {1, SIZE_MAX}}, {"Unsqueeze", {1, 2}}, {"Squeeze", {1, 2}}, {"Expand", {2, 2}},
        {"Equal", {2, 2}}, {"Where", {3, 3}}, {"Cast", {1, 1}}, {"Add", {2, 2}}, {"Sub", {2, 2}}, {"Mul", {2, 2}},
        {"Div", {2, 2}}, {"Neg", {1, 1}}, {"Reshape", {2, 2}}, {"Identity", {1, 1}}};
    const auto [least, most] = arity.at(node.op_type);
    ops::expect_arity(node, least, most, 1);
    std::vector<const Value*> in;
    const std::string* unknown = nullptr;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const std::string& name = node.inputs[i];
      if (name.empty()) {
        in.push_back(nullptr);
        continue;
      }
      const Value* v = known(name);
      if (!v && !(i == 0 && (node.op_type == "Shape" || node.op_type == "Size"))) unknown = &name;
      in.push_back(v);
    }
    if (unknown) {
      if (shape_only.count(node.op_type)) {
        throw ops::node_error(node, fmt::format("input '{}' depends on run-time data values; eie evaluates shape "
                                                "computations when it plans, from the graph input shapes", *unknown));
      }
      return false;
    }
    Value out;
    try {
      out = evaluate(node, in);
    } catch (const Error& e) {  // shape_numel and the operators' helpers: name the node when they do not
      if (std::string(e.what()).starts_with("node '")) throw;
      throw ops::node_error(node, e.what());
    }
    for (const double v : out.data) {
      if (out.integer && std::fabs(v) > kMaxExactInteger && std::fabs(v) < 9.2e18) {
        throw ops::node_error(node, fmt::format("integer overflow: value {} in {}", v, value_string(out)));
      }
    }
    values[node.outputs[0]] = std::move(out);
    return true;
  }

 private:
  const Shape& shape_of(const Node& node, std::size_t i) {
    const auto it = shapes.find(node.inputs[i]);
    if (it != shapes.end()) return it->second;
    if (const Value* v = known(node.inputs[i])) return v->shape;
    throw ops::node_error(node, fmt::format("input '{}' has no known shape", node.inputs[i]));
  }

  // The number of elements of a value this node computes, checked against kMaxFoldedElements.
  static std::size_t room(const Node& node, const Shape& shape) {
    const std::int64_t n = shape_numel(shape);
    if (n > kMaxFoldedElements) {
      throw ops::node_error(node, fmt::format("computes {} values of shape {} at plan time (at most {})", n,
                                              shape_string(shape), kMaxFoldedElements));
    }
    return static_cast<std::size_t>(n);
  }

  static std::vector<std::int64_t> ints(const Node& node, const Value* v) {
    std::vector<std::int64_t> out;
    if (v) {
      for (const double d : v->data) out.push_back(to_int(node, d));
    }
    return out;
  }

  static double scalar(const Node& node, const Value* v, const char* what) {
    if (!v || v->data.size() != 1) throw ops::node_error(node, fmt::format("{} must be a scalar", what));
    return v->data[0];
  }

  Value evaluate(const Node& node, const std::vector<const Value*>& in) {
    const std::string& op = node.op_type;
    if (op == "Shape") {
      const Shape& s = shape_of(node, 0);
      const auto rank = static_cast<std::int64_t>(s.size());
      const auto clamp = [&](std::int64_t a) { return std::clamp(a < 0 ? a + rank : a, std::int64_t{0}, rank); };
      const std::int64_t start = clamp(node.attr_int("start", 0)), end = clamp(node.attr_int("end", rank));
      Value v{{std::max<std::int64_t>(0, end - start)}, {}, true};
      for (std::int64_t d = start; d < end; ++d) v.data.push_back(static_cast<double>(s[static_cast<std::size_t>(d)]));
      return v;
    }
    if (op == "Size") return Value{{}, {static_cast<double>(shape_numel(shape_of(node, 0)))}, true};
    if (op == "Identity") return *in[0];
    if (op == "Neg") {
      Value v = *in[0];
      for (double& x : v.data) x = -x;
      return v;
    }
    if (op == "ConstantOfShape") return constant_of_shape(node, in);
    if (op == "Range") return range(node, in);
    if (op == "Gather") return gather(node, in);
    if (op == "Slice") return slice(node, in);
    if (op == "Concat") return concat(node, in);
    if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape") return reshape(node, in);
    if (op == "Expand") return expand(node, in);
    if (op == "Where") return where(node, in);
    if (op == "Cast") return cast(node, in);
    return binary(node, in);
  }

  // The new shape for Reshape, Squeeze and Unsqueeze, by their own operators' shape inference.
  Value reshape(const Node& node, const std::vector<const Value*>& in) {
    Model shapes_only;
    for (std::size_t i = 1; i < in.size(); ++i) {
      if (in[i]) shapes_only.initializers[node.inputs[i]] = to_tensor(*in[i]);
    }
    const std::unique_ptr<Operator> op = make_operator(node, shapes_only);
    Value v = *in[0];
    v.shape = op->infer({in[0]->shape})[0];
    return v;
  }

  Value constant_of_shape(const Node& node, const std::vector<const Value*>& in) {
    Value v;
    for (const std::int64_t d : ints(node, in[0])) {
      if (d < 0) throw ops::node_error(node, fmt::format("shape {} has a negative dimension", value_string(*in[0])));
      v.shape.push_back(d);
    }
    double fill = 0.0;
    if (const auto it = node.attributes.find("value"); it != node.attributes.end()) {
      if (const auto* i = std::get_if<std::int64_t>(&it->second)) {
        fill = static_cast<double>(*i);
        v.integer = true;
      } else {
        fill = node.attr_float("value", 0.0f);
      }
    }
    v.data.assign(room(node, v.shape), fill);
    return v;
  }

  Value range(const Node& node, const std::vector<const Value*>& in) {
    const double start = scalar(node, in[0], "start"), limit = scalar(node, in[1], "limit");
    const double delta = scalar(node, in[2], "delta");
    if (delta == 0.0) throw ops::node_error(node, "delta is 0");
    const double count = std::max(0.0, std::ceil((limit - start) / delta));
    if (!(count <= static_cast<double>(kMaxFoldedElements))) {  // NaN too
      throw ops::node_error(node, fmt::format("range({}, {}, {}) has {} elements", start, limit, delta, count));
    }
    Value v{{static_cast<std::int64_t>(count)}, {}, in[0]->integer || in[1]->integer || in[2]->integer};
    for (std::int64_t i = 0; i < v.shape[0]; ++i) v.data.push_back(start + static_cast<double>(i) * delta);
    return v;
  }

  Value gather(const Node& node, const std::vector<const Value*>& in) {
    const Value& data = *in[0];
    const Value& indices = *in[1];
    const auto rank = static_cast<std::int64_t>(data.shape.size());
    if (rank == 0) throw ops::node_error(node, "data must have rank >= 1");
    const auto axis = static_cast<std::size_t>(ops::normalize_axis(node, node.attr_int("axis", 0), rank));
    Value v{{}, {}, data.integer};
    v.shape.assign(data.shape.begin(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis));
    v.shape.insert(v.shape.end(), indices.shape.begin(), indices.shape.end());
    v.shape.insert(v.shape.end(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.shape.end());
    std::int64_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= data.shape[d];
    for (std::size_t d = axis + 1; d < data.shape.size(); ++d) inner *= data.shape[d];
    const std::int64_t n = data.shape[axis];
    v.data.reserve(room(node, v.shape));
    for (std::int64_t o = 0; o < outer; ++o) {
      for (const double index : indices.data) {
        const std::int64_t i = to_int(node, index);
        if (i < -n || i >= n) {
          throw ops::node_error(node, fmt::format("index {} is out of range for axis {} of size {}", i, axis, n));
        }
        const std::int64_t at = (o * n + (i < 0 ? i + n : i)) * inner;
        v.data.insert(v.data.end(), data.data.begin() + at, data.data.begin() + at + inner);
      }
    }
    return v;
  }

  Value slice(const Node& node, const std::vector<const Value*>& in) {
    const Value& data = *in[0];
    std::vector<std::int64_t> starts = node.attr_ints("starts"), ends = node.attr_ints("ends");
    std::vector<std::int64_t> axes = node.attr_ints("axes"), steps;
    if (in.size() > 1) {
      starts = ints(node, in[1]);
      ends = in.size() > 2 ? ints(node, in[2]) : std::vector<std::int64_t>{};
      axes = in.size() > 3 ? ints(node, in[3]) : std::vector<std::int64_t>{};
      steps = in.size() > 4 ? ints(node, in[4]) : std::vector<std::int64_t>{};
    }
    const ops::SliceGeometry g = ops::resolve_slice(node, data.shape, starts, ends, axes, steps);
    Value v{g.shape, {}, data.integer};
    const std::vector<std::int64_t>&first = g.first, &step = g.step;
    std::vector<std::int64_t> strides(data.shape.size(), 1);
    for (std::size_t d = data.shape.size(); d-- > 1;) strides[d - 1] = strides[d] * data.shape[d];
    const auto n = static_cast<std::int64_t>(room(node, v.shape));
    std::vector<std::int64_t> index(v.shape.size(), 0);
    for (std::int64_t i = 0; i < n; ++i) {
      std::int64_t at = 0;
      for (std::size_t d = 0; d < index.size(); ++d) at += (first[d] + index[d] * step[d]) * strides[d];
      v.data.push_back(data.data[static_cast<std::size_t>(at)]);
      for (std::size_t d = index.size(); d-- > 0;) {
        if (++index[d] < v.shape[d]) break;
        index[d] = 0;
      }
    }
    return v;
  }

  Value concat(const Node& node, const std::vector<const Value*>& in) {
    std::vector<Shape> in_shapes;
    for (const Value* v : in) in_shapes.push_back(v->shape);
    Value v{make_operator(node, model_)->infer(in_shapes)[0], {}, false};
    v.data.reserve(room(node, v.shape));
    const auto axis = static_cast<std::size_t>(
        ops::normalize_axis(node, node.attr_int("axis", 0), static_cast<std::int64_t>(v.shape.size())));
    std::int64_t outer = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= v.shape[d];
    for (std::int64_t o = 0; o < outer; ++o) {
      for (const Value* x : in) {
        const auto row = static_cast<std::int64_t>(x->data.size()) / std::max<std::int64_t>(outer, 1);
        v.data.insert(v.data.end(), x->data.begin() + o * row, x->data.begin() + (o + 1) * row);
        v.integer = v.integer || x->integer;
      }
    }
    return v;
  }

  Value expand(const Node& node, const std::vector<const Value*>& in) {
    Shape target;
    for (const std::int64_t d : ints(node, in[1])) {
      if (d < 0) throw ops::node_error(node, fmt::format("shape {} has a negative dimension", value_string(*in[1])));
      target.push_back(d);
    }
    Value v{ops::broadcast_shapes(node, in[0]->shape, target), {}, in[0]->integer};
    v.data.resize(room(node, v.shape));
    broadcast_each(v.shape, {&in[0]->shape}, [&](std::int64_t i, const std::vector<std::int64_t>& at) {
      v.data[static_cast<std::size_t>(i)] = in[0]->data[static_cast<std::size_t>(at[0])];
    });
    return v;
  }

  Value where(const Node& node, const std::vector<const Value*>& in) {
    const Shape s = ops::broadcast_shapes(node, ops::broadcast_shapes(node, in[0]->shape, in[1]->shape), in[2]->shape);
    Value v{s, std::vector<double>(room(node, s)), in[1]->integer || in[2]->integer};
    const std::vector<const Shape*> shapes = {&in[0]->shape, &in[1]->shape, &in[2]->shape};
    broadcast_each(s, shapes, [&](std::int64_t i, const std::vector<std::int64_t>& at) {
      const auto k = [&](std::size_t j) { return static_cast<std::size_t>(at[j]); };
      v.data[static_cast<std::size_t>(i)] = in[0]->data[k(0)] != 0.0 ? in[1]->data[k(1)] : in[2]->data[k(2)];
    });
    return v;
  }

  Value cast(const Node& node, const std::vector<const Value*>& in) {
    // ONNX TensorProto data types: 1 float, 10 float16, 11 double, 16 bfloat16; 9 bool; the rest integers.
    const std::int64_t to = node.attr_int("to", 1);
    Value v = *in[0];
    if (to == 1 || to == 10 || to == 11 || to == 16) {
      for (double& x : v.data) x = static_cast<float>(x);
      v.integer = false;
    } else if (to == 9) {
      for (double& x : v.data) x = x != 0.0 ? 1.0 : 0.0;
      v.integer = true;
    } else if (to >= 2 && to <= 13) {
      for (double& x : v.data) x = std::trunc(x);
      v.integer = true;
    } else {
      ops::require_attribute(node, false, "to", std::to_string(to), "float, double, float16, bfloat16, integers, bool");
    }
    return v;
  }

  Value binary(const Node& node, const std::vector<const Value*>& in) {
    const Value &a = *in[0], &b = *in[1];
    const std::string& op = node.op_type;
    const Shape s = ops::broadcast_shapes(node, a.shape, b.shape);
    Value v{s, std::vector<double>(room(node, s)), op == "Equal" || a.integer || b.integer};
    broadcast_each(s, {&a.shape, &b.shape}, [&](std::int64_t i, const std::vector<std::int64_t>& at) {
      const double x = a.data[static_cast<std::size_t>(at[0])], y = b.data[static_cast<std::size_t>(at[1])];
      double r = 0.0;
      if (op == "Equal") r = x == y ? 1.0 : 0.0;
      else if (op == "Add") r = x + y;
      else if (op == "Sub") r = x - y;
      else if (op == "Mul") r = x * y;
      else if (v.integer) {
        if (y == 0.0) throw ops::node_error(node, fmt::format("integer division of {} by zero", x));
        r = std::trunc(x / y);
      } else {
        r = x / y;
      }
      if (v.integer && op != "Equal" && std::fabs(r) > kMaxExactInteger) {
        throw ops::node_error(node, fmt::format("integer overflow: {} {} {} = {}", x, op, y, r));
      }
      v.data[static_cast<std::size_t>(i)] = r;
    });
    return v;
  }

 public:
  // The value as an initializer (fp32): an integer must be exact there, apart from values beyond any dimension
  // (the "to the end" sentinels).
  static Tensor to_tensor(const Value& v, const Node* node = nullptr) {
    Tensor t{v.shape, std::vector<float>(v.data.size())};
    for (std::size_t i = 0; i < v.data.size(); ++i) {
      const double x = v.data[i];
      if (v.integer && static_cast<double>(static_cast<float>(x)) != x && std::fabs(x) < 2147483647.0 && node) {
        throw ops::node_error(*node, fmt::format("value {} cannot be held exactly in fp32", x));
      }
      t.data[i] = static_cast<float>(x);
    }
    return t;
  }

 private:
  const Model& model_;
};

bool has_shape_computations(const Model& model) {
  for (const Node& node : model.nodes) {
    const std::string& op = node.op_type;
    if (op == "Shape" || op == "Size" || op == "ConstantOfShape" || op == "Range") return true;
    if ((op == "Reshape" || op == "Expand") && node.inputs.size() > 1 && !model.constant(node.inputs[1])) return true;
  }
  return false;
}

}  // namespace

std::optional<Model> fold_shapes(const Model& model, const std::map<std::string, Shape>& input_shapes) {
  if (!has_shape_computations(model)) return std::nullopt;
  Model out = model;
  out.nodes.clear();
  Folder folder(model);
  for (const ValueInfo& input : model.inputs) {
    const auto it = input_shapes.find(input.name);
    if (it == input_shapes.end()) throw Error(fmt::format("graph input '{}': no shape given", input.name));
    folder.shapes[input.name] = it->second;
  }
  for (const Node& node : model.nodes) {
    if (folder.fold(node)) {
      out.initializers[node.outputs[0]] = Folder::to_tensor(folder.values.at(node.outputs[0]), &node);
      continue;
    }
    const std::unique_ptr<Operator> op = make_operator(node, out);
    std::vector<Shape> in;
    for (const std::string& name : node.inputs) {
      if (name.empty()) {
        in.emplace_back();
      } else if (const auto it = folder.shapes.find(name); it != folder.shapes.end()) {
        in.push_back(it->second);
      } else if (const Value* v = folder.known(name)) {
        in.push_back(v->shape);
      } else {
        throw Error(fmt::format("{}: input '{}' has no known shape", op->where(), name));
      }
    }
    const std::vector<Shape> shapes = op->infer(in);
    for (std::size_t i = 0; i < node.outputs.size() && i < shapes.size(); ++i) {
      if (!node.outputs[i].empty()) folder.shapes[node.outputs[i]] = shapes[i];
    }
    out.nodes.push_back(node);
  }
  // Constants nothing reads any more (the folded chain's inputs) stay: they are small, and a graph output may
  // name one.
  return out;
}

}  // namespace eie
