// ONNX import: the whole graph (nodes in file order with their attributes, graph inputs and outputs with shapes)
// and every initializer converted to fp32. Constant nodes become initializers. Integer and bool initializers
// (Reshape shapes, Gather indices, masks) are converted to float and must be exact (|v| <= 2^24), except the
// huge values exporters write to mean "to the end" (Slice's INT64_MAX): any |v| >= 2^31 - 1 is beyond every
// dimension eie can hold and is kept as the nearest float. Weights of Gemm, MatMul, Conv and LSTM
// are then found by Model::weight_slots().
#include <cctype>
#include <cmath>
#include <filesystem>
#include <set>

#include <fmt/core.h>
#include <onnx/onnx_pb.h>

#include "eie/io.h"
#include "io/bytes.h"

namespace eie {
namespace {

struct Context {
  std::string what;
  Error fail(const std::string& place, const std::string& problem) const {
    return Error(fmt::format("{}: {}: {}", what, place, problem));
  }
};

template <typename T, typename Convert>
void from_raw(const std::string& raw, std::size_t n, std::vector<float>& out, Convert convert) {
  out.resize(n);
  const auto* p = reinterpret_cast<const std::uint8_t*>(raw.data());
  for (std::size_t i = 0; i < n; ++i) out[i] = convert(io::load_le<T>(p + i * sizeof(T)));
}

float exact_int(std::int64_t v, const Context& ctx, const std::string& place) {
  if (v >= INT32_MAX || v <= -INT32_MAX) return static_cast<float>(v);  // a "to the end" sentinel
  if (v > (1 << 24) || v < -(1 << 24)) {
    throw ctx.fail(place, fmt::format("integer value {} cannot be held exactly as float", v));
  }
  return static_cast<float>(v);
}

Tensor convert_tensor(const onnx::TensorProto& proto, const Context& ctx, const std::string& place) {
  Tensor t;
  for (const std::int64_t d : proto.dims()) {
    if (d < 0) throw ctx.fail(place, fmt::format("negative dimension {}", d));
    t.shape.push_back(d);
  }
  std::int64_t numel = 0;
  try {
    numel = shape_numel(t.shape);
  } catch (const Error& e) {
    throw ctx.fail(place, e.what());
  }
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    throw ctx.fail(place, "external data is not supported (save the model with the weights inside)");
  }
  const auto n = static_cast<std::size_t>(numel);
  const int type = proto.data_type();
  std::size_t item = 0;
  switch (type) {
    case onnx::TensorProto::FLOAT: case onnx::TensorProto::INT32: item = 4; break;
    case onnx::TensorProto::DOUBLE: case onnx::TensorProto::INT64: item = 8; break;
    case onnx::TensorProto::FLOAT16: case onnx::TensorProto::BFLOAT16: item = 2; break;
    case onnx::TensorProto::BOOL: item = 1; break;
    default:
      throw ctx.fail(place, fmt::format("unsupported data type {} (supported: FLOAT, FLOAT16, BFLOAT16, DOUBLE, "
                                        "INT32, INT64, BOOL)", onnx::TensorProto::DataType_Name(
                                            static_cast<onnx::TensorProto::DataType>(type))));
  }
  const auto count_mismatch = [&](std::size_t have, const char* field) {
    return ctx.fail(place, fmt::format("{} holds {} values, shape {} needs {} (truncated or corrupt)", field, have,
                                       shape_string(t.shape), n));
  };
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (n > raw.size() / item || raw.size() != n * item) {
      throw ctx.fail(place, fmt::format("raw_data has {} bytes, shape {} needs {} (truncated or corrupt)",
                                        raw.size(), shape_string(t.shape), static_cast<std::uint64_t>(n) * item));
    }
    switch (type) {
      case onnx::TensorProto::FLOAT: from_raw<float>(raw, n, t.data, [](float v) { return v; }); break;
      case onnx::TensorProto::DOUBLE: from_raw<double>(raw, n, t.data, [](double v) { return static_cast<float>(v); }); break;
      case onnx::TensorProto::FLOAT16: from_raw<std::uint16_t>(raw, n, t.data, io::half_to_float); break;
      case onnx::TensorProto::BFLOAT16: from_raw<std::uint16_t>(raw, n, t.data, io::bf16_to_float); break;
      case onnx::TensorProto::BOOL:
        from_raw<std::uint8_t>(raw, n, t.data, [](std::uint8_t v) { return v ? 1.0f : 0.0f; });
        break;
      case onnx::TensorProto::INT32:
        from_raw<std::int32_t>(raw, n, t.data, [&](std::int32_t v) { return exact_int(v, ctx, place); });
        break;
      default:
        from_raw<std::int64_t>(raw, n, t.data, [&](std::int64_t v) { return exact_int(v, ctx, place); });
        break;
    }
    return t;
  }
  const int have = type == onnx::TensorProto::FLOAT    ? proto.float_data_size()
                   : type == onnx::TensorProto::DOUBLE ? proto.double_data_size()
                   : type == onnx::TensorProto::INT64  ? proto.int64_data_size()
                                                       : proto.int32_data_size();
  if (static_cast<std::size_t>(have) != n) {  // before allocating: a tiny file may claim a huge shape
    throw count_mismatch(static_cast<std::size_t>(have),
                         type == onnx::TensorProto::FLOAT    ? "float_data"
                         : type == onnx::TensorProto::DOUBLE ? "double_data"
                         : type == onnx::TensorProto::INT64  ? "int64_data"
                                                             : "int32_data");
  }
  t.data.resize(n);
  if (type == onnx::TensorProto::FLOAT) {
    if (static_cast<std::size_t>(proto.float_data_size()) != n) throw count_mismatch(proto.float_data_size(), "float_data");
    std::copy(proto.float_data().begin(), proto.float_data().end(), t.data.begin());
  } else if (type == onnx::TensorProto::DOUBLE) {
    if (static_cast<std::size_t>(proto.double_data_size()) != n) throw count_mismatch(proto.double_data_size(), "double_data");
    for (std::size_t i = 0; i < n; ++i) t.data[i] = static_cast<float>(proto.double_data(static_cast<int>(i)));
  } else if (type == onnx::TensorProto::INT64) {
    if (static_cast<std::size_t>(proto.int64_data_size()) != n) throw count_mismatch(proto.int64_data_size(), "int64_data");
    for (std::size_t i = 0; i < n; ++i) t.data[i] = exact_int(proto.int64_data(static_cast<int>(i)), ctx, place);
  } else {  // INT32, BOOL, FLOAT16 and BFLOAT16 live in int32_data
    if (static_cast<std::size_t>(proto.int32_data_size()) != n) throw count_mismatch(proto.int32_data_size(), "int32_data");
    for (std::size_t i = 0; i < n; ++i) {
      const std::int32_t v = proto.int32_data(static_cast<int>(i));
      if (type == onnx::TensorProto::INT32) t.data[i] = exact_int(v, ctx, place);
      else if (type == onnx::TensorProto::BOOL) t.data[i] = v != 0 ? 1.0f : 0.0f;
      else if (type == onnx::TensorProto::FLOAT16) t.data[i] = io::half_to_float(static_cast<std::uint16_t>(v));
      else t.data[i] = io::bf16_to_float(static_cast<std::uint16_t>(v));
    }
  }
  return t;
}

Attribute convert_attribute(const onnx::AttributeProto& a, const Context& ctx, const std::string& place) {
  switch (a.type()) {
    case onnx::AttributeProto::INT: return a.i();
    case onnx::AttributeProto::FLOAT: return a.f();
    case onnx::AttributeProto::STRING: return a.s();
    case onnx::AttributeProto::INTS: return std::vector<std::int64_t>(a.ints().begin(), a.ints().end());
    case onnx::AttributeProto::FLOATS: return std::vector<float>(a.floats().begin(), a.floats().end());
    case onnx::AttributeProto::STRINGS: return std::vector<std::string>(a.strings().begin(), a.strings().end());
    case onnx::AttributeProto::TENSOR: {
      // ConstantOfShape's value: one element, kept as an int (integer and bool types) or a float attribute.
      const Tensor t = convert_tensor(a.t(), ctx, fmt::format("{}: attribute '{}'", place, a.name()));
      if (t.data.size() != 1) {
        throw ctx.fail(place, fmt::format("attribute '{}' is a tensor of shape {}; eie supports one-element tensor "
                                          "attributes", a.name(), shape_string(t.shape)));
      }
      const int type = a.t().data_type();
      const bool integer = type != onnx::TensorProto::FLOAT && type != onnx::TensorProto::DOUBLE &&
                           type != onnx::TensorProto::FLOAT16 && type != onnx::TensorProto::BFLOAT16;
      if (!integer) return t.data[0];
      const float v = t.data[0];  // a "to the end" sentinel saturates
      return v >= 9.2e18f ? INT64_MAX : v <= -9.2e18f ? INT64_MIN : static_cast<std::int64_t>(v);
    }
    default:
      throw ctx.fail(place, fmt::format("attribute '{}' has unsupported type {}", a.name(),
                                        onnx::AttributeProto::AttributeType_Name(a.type())));
  }
}

}  // namespace

std::string onnx_type_name(int data_type) {
  std::string name = onnx::TensorProto::DataType_IsValid(data_type)
                         ? onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(data_type))
                         : fmt::format("type {}", data_type);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

namespace {

ValueInfo convert_value_info(const onnx::ValueInfoProto& v) {
  ValueInfo info{.name = v.name(), .shape = {}};
  if (v.type().has_tensor_type()) info.type = onnx_type_name(v.type().tensor_type().elem_type());
  else info.type = v.type().has_sequence_type() ? "sequence" : v.type().has_optional_type() ? "optional" : "float";
  if (v.type().has_tensor_type() && v.type().tensor_type().has_shape()) {
    for (const auto& d : v.type().tensor_type().shape().dim()) {
      info.shape.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
    }
  }
  return info;
}

// A Constant node's value as a tensor.
Tensor constant_value(const onnx::NodeProto& node, const Context& ctx, const std::string& place) {
  if (node.attribute_size() != 1) throw ctx.fail(place, "a Constant node needs exactly one attribute");
  const onnx::AttributeProto& a = node.attribute(0);
  Tensor t;
  if (a.name() == "value" && a.type() == onnx::AttributeProto::TENSOR) return convert_tensor(a.t(), ctx, place);
  if (a.name() == "value_float") {
    t.data = {a.f()};
  } else if (a.name() == "value_floats") {
    t.data.assign(a.floats().begin(), a.floats().end());
    t.shape = {static_cast<std::int64_t>(t.data.size())};
  } else if (a.name() == "value_int") {
    t.data = {exact_int(a.i(), ctx, place)};
  } else if (a.name() == "value_ints") {
    for (const std::int64_t v : a.ints()) t.data.push_back(exact_int(v, ctx, place));
    t.shape = {static_cast<std::int64_t>(t.data.size())};
  } else {
    throw ctx.fail(place, fmt::format("unsupported Constant attribute '{}'", a.name()));
  }
  return t;
}

}  // namespace

Model parse_onnx(std::span<const std::uint8_t> bytes, const std::string& what) {
  const Context ctx{what};
  onnx::ModelProto proto;
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(fmt::format("{}: not a valid ONNX model (protobuf parse failed: truncated or corrupt)", what));
  }
  if (!proto.has_graph()) throw Error(fmt::format("{}: ONNX model has no graph", what));
  const onnx::GraphProto& graph = proto.graph();
  Model model;
  model.name = graph.name().empty() ? std::filesystem::path(what).stem().string() : graph.name();
  for (const onnx::TensorProto& init : graph.initializer()) {
    const std::string place = fmt::format("initializer '{}'", init.name());
    if (init.name().empty()) throw ctx.fail("initializer", "has no name");
    if (model.initializers.count(init.name())) throw ctx.fail(place, "is defined twice");
    model.initializers[init.name()] = convert_tensor(init, ctx, place);
  }
  std::set<std::string> names;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& n = graph.node(i);
    Node node;
    node.op_type = n.op_type();
    node.name = n.name().empty() ? fmt::format("{}_{}", n.op_type(), i) : n.name();
    if (!names.insert(node.name).second) node.name = fmt::format("{}_{}", node.name, i);
    const std::string place = fmt::format("node '{}' ({})", node.name, node.op_type);
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      throw ctx.fail(place, fmt::format("operator domain '{}' is not supported", n.domain()));
    }
    if (n.op_type() == "Constant") {
      if (n.output_size() != 1) throw ctx.fail(place, "a Constant node needs exactly one output");
      if (model.initializers.count(n.output(0))) throw ctx.fail(place, "redefines a tensor");
      model.initializers[n.output(0)] = constant_value(n, ctx, place);
      continue;
    }
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    // PyTorch's exporter writes equal weights once and the copies as Identity of it (a freshly cloned
    // TransformerEncoder's layers): the copy is a constant of its own, so each layer's weight is found and
    // compressed as the weight of its node.
    if (n.op_type() == "Identity" && n.input_size() == 1 && n.output_size() == 1 &&
        model.initializers.count(n.input(0)) && !model.initializers.count(n.output(0))) {
      model.initializers[n.output(0)] = model.initializers.at(n.input(0));
      continue;
    }
    for (const onnx::AttributeProto& a : n.attribute()) {
      if (node.attributes.count(a.name())) throw ctx.fail(place, fmt::format("attribute '{}' twice", a.name()));
      node.attributes[a.name()] = convert_attribute(a, ctx, place);
    }
    model.nodes.push_back(std::move(node));
  }
  // Inputs that are initializers (older exporters list them) or Constant outputs are constants, not inputs.
  for (const onnx::ValueInfoProto& v : graph.input()) {
    if (!model.initializers.count(v.name())) model.inputs.push_back(convert_value_info(v));
  }
  for (const onnx::ValueInfoProto& v : graph.output()) model.outputs.push_back(convert_value_info(v));
  try {
    model.validate();
    fold_batch_norm(model);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", what, e.what()));
  }
  return model;
}

Model load_onnx(const std::string& path) { return parse_onnx(read_file(path), path); }

Tensor parse_tensor_proto(std::span<const std::uint8_t> bytes, const std::string& what, std::string* type) {
  onnx::TensorProto proto;
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !proto.has_data_type() ||
      proto.data_type() == onnx::TensorProto::UNDEFINED) {
    throw Error(fmt::format("{}: not an ONNX TensorProto (protobuf parse failed or no data type)", what));
  }
  const Context ctx{what};
  if (type) *type = onnx_type_name(proto.data_type());
  return convert_tensor(proto, ctx, proto.name().empty() ? "tensor" : fmt::format("tensor '{}'", proto.name()));
}

Tensor read_tensor_proto(const std::string& path, std::string* type) { return parse_tensor_proto(read_file(path), path, type); }

}  // namespace eie
