#include <gtest/gtest.h>

#include "common/test_util.h"
#include "eie/model.h"

namespace eie {
namespace {

Node make_node(std::string op, std::string name, std::vector<std::string> in, std::vector<std::string> out,
               std::map<std::string, Attribute> attributes = {}) {
  Node n;
  n.op_type = std::move(op);
  n.name = std::move(name);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attributes);
  return n;
}

Tensor iota_tensor(std::vector<std::int64_t> shape) {
  Tensor t;
  t.shape = std::move(shape);
  t.data.resize(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(i + 1);
  return t;
}

// A codebook holding every value of the tensor exactly, so compression is lossless.
Codebook exact_codebook(std::int64_t n) {
  std::vector<float> values{0.0f};
  for (std::int64_t i = 1; i <= n; ++i) values.push_back(static_cast<float>(i));
  return Codebook(values, 8, true);
}

Model mlp() {
  Model m;
  m.name = "mlp";
  m.inputs = {{"x", {1, 4}}};
  m.outputs = {{"y", {1, 2}}};
  m.initializers["w1"] = iota_tensor({3, 4});  // Gemm transB=1: [out, in]
  m.initializers["b1"] = iota_tensor({3});
  m.initializers["w2"] = iota_tensor({3, 2});  // MatMul: [in, out]
  m.nodes.push_back(make_node("Gemm", "fc1", {"x", "w1", "b1"}, {"h"}, {{"transB", std::int64_t{1}}}));
  m.nodes.push_back(make_node("Relu", "relu", {"h"}, {"hr"}));
  m.nodes.push_back(make_node("MatMul", "fc2", {"hr", "w2"}, {"y"}));
  return m;
}

TEST(Model, weight_slots_follow_the_consuming_op) {
  const Model m = mlp();
  const auto slots = m.weight_slots();
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0].name, "w1");
  EXPECT_EQ(slots[0].node, "fc1");
  EXPECT_EQ(slots[0].rows, 3);
  EXPECT_EQ(slots[0].cols, 4);
  EXPECT_EQ(slots[0].layout, WeightLayout::rows_first);
  EXPECT_EQ(slots[1].name, "w2");
  EXPECT_EQ(slots[1].rows, 2);
  EXPECT_EQ(slots[1].cols, 3);
  EXPECT_EQ(slots[1].layout, WeightLayout::transposed);
  EXPECT_NO_THROW(m.validate());
}

TEST(Model, gemm_without_trans_b_is_transposed) {
  Model m = mlp();
  m.nodes[0].attributes.clear();
  m.initializers["w1"] = iota_tensor({4, 3});
  const auto slots = m.weight_slots();
  EXPECT_EQ(slots[0].rows, 3);
  EXPECT_EQ(slots[0].cols, 4);
  EXPECT_EQ(slots[0].layout, WeightLayout::transposed);
}

TEST(Model, conv_and_lstm_weights_flatten_to_matrices) {
  Model m;
  m.inputs = {{"x", {1, 2, 5, 5}}, {"s", {3, 1, 4}}};
  m.initializers["cw"] = iota_tensor({6, 2, 3, 3});
  m.initializers["W"] = iota_tensor({1, 20, 4});
  m.initializers["R"] = iota_tensor({1, 20, 5});
  m.nodes.push_back(make_node("Conv", "conv", {"x", "cw"}, {"c"}));
  m.nodes.push_back(make_node("LSTM", "lstm", {"s", "W", "R"}, {"Y"}));
  const auto slots = m.weight_slots();
  ASSERT_EQ(slots.size(), 3u);
  EXPECT_EQ(slots[0].rows, 6);
  EXPECT_EQ(slots[0].cols, 18);
  EXPECT_EQ(slots[1].rows, 20);
  EXPECT_EQ(slots[1].cols, 4);
  EXPECT_EQ(slots[2].cols, 5);
}

TEST(Model, graphless_model_takes_every_tensor_of_rank_two_or_more) {
  Model m;
  m.initializers["fc.weight"] = iota_tensor({3, 4});
  m.initializers["fc.bias"] = iota_tensor({3});
  m.initializers["conv.weight"] = iota_tensor({2, 1, 3, 3});
  const auto slots = m.weight_slots();
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0].name, "conv.weight");
  EXPECT_EQ(slots[0].cols, 9);
  EXPECT_EQ(slots[1].name, "fc.weight");
}

TEST(Model, compressed_weight_decompresses_to_the_original_tensor) {
  for (bool trans_b : {true, false}) {
    Model m = mlp();
    if (!trans_b) {
      m.nodes[0].attributes.clear();
      m.initializers["w1"] = iota_tensor({4, 3});
    }
    const Model original = m;
    for (const WeightSlot& slot : m.weight_slots()) {
      const Tensor t = m.initializers.at(slot.name);
      CompressedLayer layer = CompressedLayer::from_dense(slot.rows, slot.cols, weight_matrix(t, slot.layout),
                                                          exact_codebook(t.numel()));
      m.compress_weight(slot, std::move(layer));
    }
    EXPECT_TRUE(m.initializers.count("b1"));
    EXPECT_FALSE(m.initializers.count("w1"));
    ASSERT_EQ(m.compressed.size(), 2u);
    EXPECT_NO_THROW(m.validate());
    EXPECT_EQ(*m.constant("w1"), original.initializers.at("w1"));
    EXPECT_EQ(*m.constant("w2"), original.initializers.at("w2"));
    EXPECT_FALSE(m.constant("h").has_value());
  }
}

TEST(Model, compress_weight_rejects_a_layer_of_the_wrong_shape) {
  Model m = mlp();
  const WeightSlot slot = m.weight_slots()[0];
  test::expect_error([&] { m.compress_weight(slot, test::LayerTester().rows(4).cols(4).build(1)); },
                     {"weight 'w1'", "4 x 4", "expected 3 x 4"});
}

TEST(Model, validate_names_an_undefined_input) {
  Model m = mlp();
  m.nodes[1].inputs = {"nothing"};
  test::expect_error([&] { m.validate(); }, {"node 'relu'", "input 'nothing'"});
}

TEST(Model, validate_names_a_duplicate_node) {
  Model m = mlp();
  m.nodes[2].name = "fc1";
  test::expect_error([&] { m.validate(); }, {"two nodes are named 'fc1'"});
}

TEST(Model, validate_names_a_missing_output) {
  Model m = mlp();
  m.outputs[0].name = "z";
  test::expect_error([&] { m.validate(); }, {"graph output 'z'"});
}

TEST(Model, validate_names_an_initializer_with_wrong_data) {
  Model m = mlp();
  m.initializers["b1"].data.pop_back();
  test::expect_error([&] { m.validate(); }, {"initializer 'b1'", "needs 3 values, has 2"});
}

TEST(Model, attribute_of_the_wrong_type_is_an_error) {
  const Node n = make_node("Gemm", "g", {}, {}, {{"transB", 1.0f}});
  test::expect_error([&] { n.attr_int("transB", 0); }, {"node 'g'", "'transB'", "not an int"});
  EXPECT_EQ(n.attr_int("transA", 7), 7);
}

TEST(Model, shape_numel_rejects_negative_dimensions) {
  EXPECT_EQ(shape_numel({}), 1);
  EXPECT_EQ(shape_numel({2, 0, 3}), 0);
  test::expect_error([] { shape_numel({2, -1}); }, {"[2, -1]", "negative"});
  test::expect_error([] { shape_numel({1LL << 40, 1LL << 40}); }, {"too many elements"});
}

}  // namespace
}  // namespace eie
