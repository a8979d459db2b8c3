#include <onnx/onnx_pb.h>

#include "common/test_util.h"
#include "io/io_test_util.h"

namespace eie {
namespace {

std::vector<std::uint8_t> bytes_of(const onnx::ModelProto& proto) {
  std::string s;
  proto.SerializeToString(&s);
  return {s.begin(), s.end()};
}

// A one-Gemm model whose weight initializer the test then edits.
onnx::ModelProto gemm_proto() {
  onnx::ModelProto proto;
  proto.set_ir_version(8);
  auto* g = proto.mutable_graph();
  g->set_name("g");
  auto* n = g->add_node();
  n->set_op_type("Gemm");
  n->set_name("fc");
  n->add_input("x");
  n->add_input("w");
  n->add_output("y");
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  w->add_dims(3);
  for (int i = 0; i < 6; ++i) w->add_float_data(static_cast<float>(i));
  g->add_input()->set_name("x");
  g->add_output()->set_name("y");
  return proto;
}

TEST(Onnx, reads_the_python_reference_fixture) {
  const Model m = load_onnx(EIE_SOURCE_DIR "/tests/io/data/mlp_python.onnx");
  EXPECT_EQ(m.name, "mlp_python");
  ASSERT_EQ(m.nodes.size(), 4u);  // the Constant became an initializer
  EXPECT_EQ(m.nodes[0].name, "fc1");
  EXPECT_EQ(m.nodes[0].attr_int("transB", 0), 1);
  EXPECT_EQ(m.nodes[0].attr_float("alpha", 0), 1.0f);
  EXPECT_EQ(m.nodes[2].name, "MatMul_2");
  EXPECT_EQ(m.nodes[3].inputs, (std::vector<std::string>{"m", "c"}));
  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].shape, (std::vector<std::int64_t>{-1, 4}));
  EXPECT_EQ(m.outputs[0].name, "y");
  const Tensor& w1 = m.initializers.at("w1");  // raw_data
  EXPECT_EQ(w1.shape, (std::vector<std::int64_t>{3, 4}));
  for (int i = 0; i < 12; ++i) EXPECT_EQ(w1.data[static_cast<std::size_t>(i)], (static_cast<float>(i) - 5.5f) / 4);
  EXPECT_EQ(m.initializers.at("b1").data, (std::vector<float>{0.5f, -0.25f, 1.0f}));  // float_data
  const Tensor& w2 = m.initializers.at("w2");  // FLOAT16 in int32_data
  for (int i = 0; i < 6; ++i) EXPECT_EQ(w2.data[static_cast<std::size_t>(i)], (static_cast<float>(i) - 2.5f) / 2);
  EXPECT_EQ(m.initializers.at("c").data, (std::vector<float>{1.0f, 2.0f}));
  const auto slots = m.weight_slots();
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0].name, "w1");
  EXPECT_EQ(slots[0].layout, WeightLayout::rows_first);
  EXPECT_EQ(slots[1].name, "w2");
  EXPECT_EQ(slots[1].rows, 2);
  EXPECT_EQ(slots[1].layout, WeightLayout::transposed);
}

TEST(Onnx, export_then_import_keeps_the_graph) {
  const Model m = load_onnx(EIE_SOURCE_DIR "/tests/io/data/mlp_python.onnx");
  const Model back = parse_onnx(serialize_onnx(m), "back.onnx");
  EXPECT_EQ(back, m);
}

TEST(Onnx, integer_initializers_become_exact_floats) {
  onnx::ModelProto proto = gemm_proto();
  auto* shape = proto.mutable_graph()->add_initializer();
  shape->set_name("shape");
  shape->set_data_type(onnx::TensorProto::INT64);
  shape->add_dims(2);
  shape->add_int64_data(1);
  shape->add_int64_data(-1);
  EXPECT_EQ(parse_onnx(bytes_of(proto), "m.onnx").initializers.at("shape").data, (std::vector<float>{1, -1}));
  shape->set_int64_data(0, (std::int64_t{1} << 24) + 1);
  test::expect_error([&] { parse_onnx(bytes_of(proto), "m.onnx"); },
                     {"m.onnx", "initializer 'shape'", "16777217 cannot be held exactly"});
  // Slice's "to the end" sentinels are beyond every dimension: kept as the nearest float.
  shape->set_int64_data(0, INT64_MAX);
  shape->set_int64_data(1, INT64_MIN);
  const std::vector<float> ends = parse_onnx(bytes_of(proto), "m.onnx").initializers.at("shape").data;
  EXPECT_GE(ends[0], 9.2e18f);
  EXPECT_LE(ends[1], -9.2e18f);
}

TEST(Onnx, bool_tensors_read_as_zero_and_one) {
  onnx::TensorProto proto;
  proto.set_name("mask");
  proto.set_data_type(onnx::TensorProto::BOOL);
  proto.add_dims(3);
  proto.set_raw_data(std::string("\x01\x00\x01", 3));
  std::string bytes = proto.SerializeAsString();
  const auto span = [&] { return std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()); };
  std::string type;
  const Tensor t = parse_tensor_proto(span(), "m.pb", &type);
  EXPECT_EQ(type, "bool");
  EXPECT_EQ(t.data, (std::vector<float>{1, 0, 1}));
  proto.clear_raw_data();
  for (const int v : {0, 1, 1}) proto.add_int32_data(v);
  bytes = proto.SerializeAsString();
  EXPECT_EQ(parse_tensor_proto(span(), "m.pb").data, (std::vector<float>{0, 1, 1}));
}

TEST(Onnx, truncated_file_is_an_error) {
  const auto bytes = bytes_of(gemm_proto());
  for (const std::size_t keep : {bytes.size() - 1, bytes.size() / 2, std::size_t{3}}) {
    test::expect_error([&] { parse_onnx(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + keep), "m.onnx"); },
                       {"m.onnx"});
  }
  test::expect_error([&] { parse_onnx(std::vector<std::uint8_t>(bytes.begin(), bytes.end() - 1), "m.onnx"); },
                     {"m.onnx", "truncated or corrupt"});
}

TEST(Onnx, corrupt_bytes_are_an_error) {
  test::expect_error([] { parse_onnx(std::vector<std::uint8_t>(64, 0xff), "m.onnx"); },
                     {"m.onnx", "not a valid ONNX model"});
  test::expect_error([] { parse_onnx(std::vector<std::uint8_t>{}, "m.onnx"); }, {"m.onnx", "no graph"});
}

TEST(Onnx, data_that_does_not_match_the_shape_is_an_error) {
  onnx::ModelProto proto = gemm_proto();
  proto.mutable_graph()->mutable_initializer(0)->mutable_float_data()->RemoveLast();
  test::expect_error([&] { parse_onnx(bytes_of(proto), "m.onnx"); },
                     {"m.onnx", "initializer 'w'", "float_data holds 5 values", "needs 6"});
  proto = gemm_proto();
  auto* w = proto.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_raw_data(std::string(23, '\0'));
  test::expect_error([&] { parse_onnx(bytes_of(proto), "m.onnx"); },
                     {"m.onnx", "initializer 'w'", "raw_data has 23 bytes", "needs 24"});
}

TEST(Onnx, a_huge_shape_without_data_is_rejected_before_allocating) {
  // Found by fuzz_onnx_importer: 84 million elements claimed by a 228-byte file.
  onnx::ModelProto proto = gemm_proto();
  auto* w = proto.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->clear_dims();
  for (const std::int64_t d : {1, 71, 101, 108, 109}) w->add_dims(d);
  test::expect_error([&] { parse_onnx(bytes_of(proto), "m.onnx"); },
                     {"m.onnx", "initializer 'w'", "float_data holds 0 values", "needs 84417012"});
}

TEST(Onnx, unsupported_data_type_names_tensor_and_type) {
  onnx::ModelProto proto = gemm_proto();
  auto* w = proto.mutable_graph()->mutable_initializer(0);
  w->set_data_type(onnx::TensorProto::STRING);
  test::expect_error([&] { parse_onnx(bytes_of(proto), "m.onnx"); },
                     {"m.onnx", "initializer 'w'", "unsupported data type STRING"});
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  test::expect_error([&] { parse_onnx(bytes_of(proto), "m.onnx"); }, {"initializer 'w'", "external data"});
}

TEST(Onnx, unsupported_attribute_type_names_the_node) {
  onnx::ModelProto proto = gemm_proto();
  auto* a = proto.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("body");
  a->set_type(onnx::AttributeProto::GRAPH);
  test::expect_error([&] { parse_onnx(bytes_of(proto), "m.onnx"); },
                     {"m.onnx", "node 'fc' (Gemm)", "attribute 'body'", "GRAPH"});
}

TEST(Onnx, a_missing_tensor_names_the_node) {
  onnx::ModelProto proto = gemm_proto();
  proto.mutable_graph()->mutable_node(0)->set_input(1, "nowhere");
  test::expect_error([&] { parse_onnx(bytes_of(proto), "m.onnx"); },
                     {"m.onnx", "node 'fc' (Gemm)", "input 'nowhere'"});
}

TEST(Onnx, load_model_picks_the_reader_by_extension) {
  test::ScratchDir dir;
  EXPECT_EQ(load_model(EIE_SOURCE_DIR "/tests/io/data/mlp_python.onnx").nodes.size(), 4u);
  test::expect_error([&] { load_model(dir.file("m.h5")); }, {"m.h5", "unknown model file type '.h5'"});
}

}  // namespace
}  // namespace eie
