// ONNX export of a Model (opset 13, fp32 raw_data initializers; compressed weights decompressed), so that models
// built in eie (the demo's, the tests') can be written and imported back through the same path as a user's.
#include <cctype>

#include <fmt/core.h>
#include <onnx/onnx_pb.h>

#include "eie/io.h"

namespace eie {
namespace {

void fill_tensor(onnx::TensorProto& proto, const std::string& name, const Tensor& t) {
  proto.set_name(name);
  proto.set_data_type(onnx::TensorProto::FLOAT);
  for (const std::int64_t d : t.shape) proto.add_dims(d);
  proto.set_raw_data(std::string(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float)));
}

void fill_value_info(onnx::ValueInfoProto& proto, const ValueInfo& v) {
  proto.set_name(v.name);
  auto* tensor = proto.mutable_type()->mutable_tensor_type();
  std::string upper = v.type;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  onnx::TensorProto::DataType type = onnx::TensorProto::FLOAT;
  if (!onnx::TensorProto::DataType_Parse(upper, &type)) type = onnx::TensorProto::FLOAT;
  tensor->set_elem_type(type);
  auto* shape = tensor->mutable_shape();
  for (const std::int64_t d : v.shape) {
    if (d >= 0) shape->add_dim()->set_dim_value(d);
    else shape->add_dim()->set_dim_param("N");
  }
}

struct AttributeWriter {
  onnx::AttributeProto& a;
  void operator()(std::int64_t v) { a.set_type(onnx::AttributeProto::INT); a.set_i(v); }
  void operator()(float v) { a.set_type(onnx::AttributeProto::FLOAT); a.set_f(v); }
  void operator()(const std::string& v) { a.set_type(onnx::AttributeProto::STRING); a.set_s(v); }
  void operator()(const std::vector<std::int64_t>& v) {
    a.set_type(onnx::AttributeProto::INTS);
    for (const auto x : v) a.add_ints(x);
  }
  void operator()(const std::vector<float>& v) {
    a.set_type(onnx::AttributeProto::FLOATS);
    for (const auto x : v) a.add_floats(x);
  }
  void operator()(const std::vector<std::string>& v) {
    a.set_type(onnx::AttributeProto::STRINGS);
    for (const auto& x : v) a.add_strings(x);
  }
};

}  // namespace

std::vector<std::uint8_t> serialize_onnx(const Model& model) {
  onnx::ModelProto proto;
  proto.set_ir_version(8);
  proto.set_producer_name("eie");
  auto* opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  onnx::GraphProto* graph = proto.mutable_graph();
  graph->set_name(model.name);
  for (const Node& node : model.nodes) {
    onnx::NodeProto* n = graph->add_node();
    n->set_op_type(node.op_type);
    n->set_name(node.name);
    for (const auto& in : node.inputs) n->add_input(in);
    for (const auto& out : node.outputs) n->add_output(out);
    for (const auto& [key, value] : node.attributes) {
      onnx::AttributeProto* a = n->add_attribute();
      a->set_name(key);
      std::visit(AttributeWriter{*a}, value);
    }
  }
  for (const auto& [name, t] : model.initializers) fill_tensor(*graph->add_initializer(), name, t);
  for (const auto& [name, w] : model.compressed) fill_tensor(*graph->add_initializer(), name, w.to_tensor());
  for (const ValueInfo& v : model.inputs) fill_value_info(*graph->add_input(), v);
  for (const ValueInfo& v : model.outputs) fill_value_info(*graph->add_output(), v);
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) throw Error(fmt::format("model '{}': ONNX serialisation failed", model.name));
  return {bytes.begin(), bytes.end()};
}

void write_tensor_proto(const std::string& path, const Tensor& tensor, const std::string& name) {
  onnx::TensorProto proto;
  fill_tensor(proto, name, tensor);
  const std::string bytes = proto.SerializeAsString();
  write_file_atomic(path, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace eie
