// Shape computations evaluated when a graph is planned (fold_shapes): the chains exporters write for dynamic
// batch and sequence axes give a static graph per input shape, run by the reference interpreter and the
// engine alike; and the errors that name the node and the value.
#include <gtest/gtest.h>

#include <cmath>

#include "common/test_util.h"
#include "eie/engine.h"
#include "eie/io.h"
#include "eie/model.h"

namespace eie {
namespace {

using test::expect_error;

Node node(std::string op, std::string name, std::vector<std::string> in, std::vector<std::string> out,
          std::map<std::string, Attribute> attributes = {}) {
  return Node{std::move(op), std::move(name), std::move(in), std::move(out), std::move(attributes)};
}

Tensor ints(std::vector<float> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor{{n}, std::move(values)};
}

Tensor iota(Shape shape) {
  Tensor t{shape, std::vector<float>(static_cast<std::size_t>(shape_numel(shape)))};
  for (std::size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(i) * 0.5f - 3.0f;
  return t;
}

// x [B, S, 8] -> Reshape(x, [B, S, 2, 4]) with the shape computed from Shape(x) the way PyTorch writes it.
Model dynamic_reshape() {
  Model m;
  m.name = "dynamic_reshape";
  m.inputs = {{"x", {-1, -1, 8}}};
  m.outputs = {{"y", {-1, -1, 2, 4}}};
  m.initializers = {{"zero", Tensor{{}, {0}}}, {"one", Tensor{{}, {1}}}, {"axes0", ints({0})},
                    {"tail", ints({2, 4})}};
  m.nodes = {node("Shape", "shape", {"x"}, {"s"}),
             node("Gather", "batch", {"s", "zero"}, {"b"}),
             node("Gather", "seq", {"s", "one"}, {"t"}),
             node("Unsqueeze", "ub", {"b", "axes0"}, {"b1"}),
             node("Unsqueeze", "ut", {"t"}, {"t1"}, {{"axes", std::vector<std::int64_t>{0}}}),
             node("Concat", "cat", {"b1", "t1", "tail"}, {"target"}, {{"axis", std::int64_t{0}}}),
             node("Reshape", "reshape", {"x", "target"}, {"y"})};
  return m;
}

TEST(FoldShapes, dynamic_reshape_plans_for_each_input_shape) {
  const Model m = dynamic_reshape();
  for (const Shape& shape : {Shape{2, 3, 8}, Shape{1, 5, 8}, Shape{4, 1, 8}}) {
    const Tensor x = iota(shape);
    const std::optional<Model> folded = fold_shapes(m, {{"x", shape}});
    ASSERT_TRUE(folded);
    ASSERT_EQ(folded->nodes.size(), 1u);  // only the Reshape is left
    EXPECT_EQ(folded->initializers.at("target").data, (std::vector<float>{static_cast<float>(shape[0]),
                                                                          static_cast<float>(shape[1]), 2, 4}));
    const Tensor y = reference_run(m, {x})[0];
    EXPECT_EQ(y.shape, (Shape{shape[0], shape[1], 2, 4}));
    EXPECT_EQ(y.data, x.data);
    ModelEngine engine(m, std::vector<Shape>{shape});
    EXPECT_EQ(engine.output_shapes()[0], y.shape);
    EXPECT_EQ(engine.run({x})[0], y);
  }
}

TEST(FoldShapes, static_graph_is_left_alone) {
  Model m;
  m.inputs = {{"x", {2, 3}}};
  m.outputs = {{"y", {2, 3}}};
  m.nodes = {node("Relu", "relu", {"x"}, {"y"})};
  EXPECT_FALSE(fold_shapes(m, {{"x", {2, 3}}}));
}

// A mask and a broadcast bias from the sequence length alone: Range, ConstantOfShape, Equal, Where,
// Expand, Cast, Slice, integer Div.
TEST(FoldShapes, mask_and_bias_chains_evaluate_like_onnx) {
  Model m;
  m.inputs = {{"x", {1, -1, 4}}};
  m.outputs = {{"y", {1, -1, 4}}, {"half", {1}}, {"mask", {-1, -1}}, {"tail", {2}}};
  m.initializers = {{"one", Tensor{{}, {1}}}, {"zero", Tensor{{}, {0}}}, {"two", Tensor{{}, {2}}},
                    {"axes0", ints({0})}, {"minus_one", ints({-1})}, {"bias", Tensor{{4}, {1, 2, 3, 4}}},
                    {"start", ints({1})}, {"end", ints({9.3e18f})}, {"neg", Tensor{{}, {-1e9f}}}};
  m.nodes = {
      node("Shape", "shape", {"x"}, {"s"}),
      node("Gather", "seq", {"s", "one"}, {"n"}),                                       // n = S
      node("Div", "half_n", {"n", "two"}, {"h"}),                                     // integer division
      node("Unsqueeze", "uh", {"h", "axes0"}, {"half"}),
      node("Range", "range", {"zero", "n", "one"}, {"r"}),                            // [0, S)
      node("Unsqueeze", "rows", {"r", "minus_one"}, {"rc"}),                          // [S, 1]
      node("Unsqueeze", "cols", {"r", "axes0"}, {"rr"}),                              // [1, S]
      node("Sub", "diff", {"rr", "rc"}, {"d"}),                                       // j - i
      node("Cast", "positive", {"d"}, {"db"}, {{"to", std::int64_t{9}}}),             // bool(j - i)
      node("Where", "fill", {"db", "neg", "zero"}, {"w"}),
      node("Concat", "sq", {"uh_n", "uh_n"}, {"square"}, {{"axis", std::int64_t{0}}}),
      node("ConstantOfShape", "ones", {"square"}, {"o"}, {{"value", std::int64_t{1}}}),
      node("Equal", "eq", {"o", "one"}, {"e"}),
      node("Cast", "as_float", {"e"}, {"ef"}, {{"to", std::int64_t{1}}}),
      node("Mul", "masked", {"w", "ef"}, {"mask"}),
      node("Slice", "tail_dims", {"s", "start", "end"}, {"tail"}),                    // [S, 4]
      node("Expand", "expand", {"bias", "s"}, {"be"}),
      node("Add", "add", {"x", "be"}, {"y"}),
  };
  m.nodes.insert(m.nodes.begin() + 4, node("Unsqueeze", "un", {"n", "axes0"}, {"uh_n"}));
  const Shape shape{1, 5, 4};
  const Tensor x = iota(shape);
  const std::vector<Tensor> out = reference_run(m, {x});
  EXPECT_EQ(out[1].data, (std::vector<float>{2}));  // 5 / 2 truncates
  ASSERT_EQ(out[2].shape, (Shape{5, 5}));
  for (std::int64_t i = 0; i < 5; ++i) {
    for (std::int64_t j = 0; j < 5; ++j) {
      EXPECT_EQ(out[2].data[static_cast<std::size_t>(i * 5 + j)], j > i || j < i ? -1e9f : 0.0f) << i << "," << j;
    }
  }
  EXPECT_EQ(out[3].data, (std::vector<float>{5, 4}));
  for (std::size_t i = 0; i < x.data.size(); ++i) EXPECT_EQ(out[0].data[i], x.data[i] + static_cast<float>(i % 4 + 1));
  const std::optional<Model> folded = fold_shapes(m, {{"x", shape}});
  ASSERT_TRUE(folded);
  ASSERT_EQ(folded->nodes.size(), 1u);  // only x + bias runs
  EXPECT_EQ(folded->nodes[0].name, "add");
  ModelEngine engine(m, std::vector<Shape>{shape});
  EXPECT_EQ(engine.run({x}), out);
}

TEST(FoldShapesErrors, shape_computation_from_data_names_the_node) {
  Model m;
  m.inputs = {{"x", {3}}};
  m.outputs = {{"y", {-1}}};
  m.nodes = {node("ConstantOfShape", "zeros", {"x"}, {"y"})};
  expect_error([&] { fold_shapes(m, {{"x", {3}}}); },
               {"node 'zeros' (ConstantOfShape)", "input 'x' depends on run-time data values"});
  expect_error([&] { ModelEngine engine(m, std::vector<Shape>{{3}}); }, {"node 'zeros'", "run-time data"});
}

TEST(FoldShapesErrors, index_out_of_range_names_the_node_and_value) {
  Model m = dynamic_reshape();
  m.initializers.at("one") = Tensor{{}, {3}};
  expect_error([&] { fold_shapes(m, {{"x", {2, 3, 8}}}); },
               {"node 'seq' (Gather)", "index 3 is out of range for axis 0 of size 3"});
}

TEST(FoldShapesErrors, nan_index_names_the_node) {
  // fuzz/regressions/onnx_nan_gather_index.onnx (found by fuzz_onnx_importer): a Gather of Shape with a NaN
  // index converted NaN to an integer (undefined behaviour) instead of refusing it.
  Model m = dynamic_reshape();
  m.initializers.at("one") = Tensor{{}, {std::nanf("")}};
  expect_error([&] { fold_shapes(m, {{"x", {2, 3, 8}}}); }, {"node 'seq' (Gather)", "NaN"});
  const Model fuzzed = load_model(EIE_SOURCE_DIR "/fuzz/regressions/onnx_nan_gather_index.onnx");
  expect_error([&] { infer_shapes(fuzzed, {{"x", {2, 2, 8}}}); }, {"(Gather)", "NaN"});
}

TEST(FoldShapesErrors, a_shape_computation_missing_an_input_names_the_node) {
  // fuzz/regressions/onnx_gather_without_indices.onnx (found by fuzz_onnx_importer): a Gather of Shape without
  // its indices input was evaluated, reading past the inputs.
  Model m = dynamic_reshape();
  for (Node& n : m.nodes) {
    if (n.op_type == "Gather") n.inputs.resize(1);
  }
  expect_error([&] { fold_shapes(m, {{"x", {2, 3, 8}}}); }, {"(Gather)", "has 1 inputs, expected 2..2"});
  const Model fuzzed = load_model(EIE_SOURCE_DIR "/fuzz/regressions/onnx_gather_without_indices.onnx");
  expect_error([&] { infer_shapes(fuzzed, {{"x", {2, 2, 8}}}); }, {"(Gather)", "has 1 inputs"});
}

TEST(FoldShapesErrors, a_reshape_to_a_huge_dimension_names_the_node) {
  // fuzz/regressions/onnx_reshape_to_huge_dimension.onnx (found by fuzz_onnx_importer): a Reshape whose shape
  // holds a "to the end" sentinel (INT64_MAX) overflowed the product of its dimensions.
  Model m;
  m.inputs = {{"x", {2, 4}}};
  m.outputs = {{"y", {}}};
  m.initializers = {{"shape", Tensor{{2}, {4.0f, 9.3e18f}}}};
  m.nodes = {node("Reshape", "flat", {"x", "shape"}, {"y"})};
  expect_error([&] { infer_shapes(m, {{"x", {2, 4}}}); }, {"node 'flat' (Reshape)", "too many elements"});
  const Model fuzzed = load_model(EIE_SOURCE_DIR "/fuzz/regressions/onnx_reshape_to_huge_dimension.onnx");
  expect_error([&] { infer_shapes(fuzzed, {{"x", {2, 2, 8}}}); }, {"(Reshape)", "too many elements"});
}

TEST(FoldShapesErrors, integer_overflow_and_division_by_zero_name_the_node_and_value) {
  Model m;
  m.inputs = {{"x", {-1, 8}}};
  m.outputs = {{"y", {-1}}};
  m.initializers = {{"k", Tensor{{}, {1e15f}}}};
  m.nodes = {node("Shape", "shape", {"x"}, {"s"}), node("Mul", "scale", {"s", "k"}, {"p"}),
             node("Mul", "square", {"p", "p"}, {"q"}), node("ConstantOfShape", "fill", {"q"}, {"y"})};
  expect_error([&] { fold_shapes(m, {{"x", {2, 8}}}); }, {"node 'square' (Mul)", "integer overflow"});
  m.initializers.at("k") = Tensor{{}, {0}};
  m.nodes[1].op_type = "Div";
  expect_error([&] { fold_shapes(m, {{"x", {2, 8}}}); }, {"node 'scale' (Div)", "integer division of 2 by zero"});
  // A value fp32 cannot hold exactly (2^25 + 1) cannot become a constant of the planned graph.
  m.initializers.at("k") = Tensor{{}, {4194304}};
  m.initializers["one"] = Tensor{{}, {1}};
  m.nodes[1].op_type = "Mul";
  m.nodes[2] = node("Add", "plus_one", {"p", "one"}, {"q"});
  expect_error([&] { ModelEngine engine(m, std::vector<Shape>{{2, 8}}); },
               {"node 'plus_one' (Add)", "33554433 cannot be held exactly"});
  // Exact powers of two whose product, as a shape, overflows int64.
  m.nodes[2] = node("Mul", "square", {"p", "p"}, {"q"});
  m.nodes.insert(m.nodes.begin() + 3, node("Concat", "many", {"q", "q", "q"}, {"big"}, {{"axis", std::int64_t{0}}}));
  m.nodes.back().inputs[0] = "big";
  expect_error([&] { fold_shapes(m, {{"x", {2, 8}}}); }, {"node 'fill' (ConstantOfShape)", "too many elements"});
}

// tests/engine/data/make_tiny_gpt.py: PyTorch's export of a causal transformer LM (embeddings, two pre-norm
// encoder layers, GELU, causal mask, dynamic batch and sequence axes), its int64 token ids and its logits.
const std::string kTinyGpt = EIE_SOURCE_DIR "/tests/engine/data/tiny_gpt";

// |a - e| <= 1e-4 max(1, |e|) on every logit.
void expect_logits_match(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.shape, expected.shape) << what;
  for (std::size_t i = 0; i < expected.data.size(); ++i) {
    ASSERT_LE(std::fabs(actual.data[i] - expected.data[i]), 1e-4 * std::max(1.0f, std::fabs(expected.data[i])))
        << what << ": logit " << i;
  }
}

TEST(TinyGpt, pytorch_export_runs_for_each_shape_and_matches_pytorch) {
  const Model model = load_onnx(kTinyGpt + ".onnx");
  for (const char* shape : {"1x1", "2x7"}) {
    std::string type;
    const Tensor ids = read_tensor(kTinyGpt + "_ids_" + shape + ".npy", &type);
    EXPECT_EQ(type, "int64");
    const Tensor expected = read_tensor(kTinyGpt + "_logits_" + shape + ".npy");
    ModelEngine engine(model, std::vector<Shape>{ids.shape});
    expect_logits_match(engine.run({ids})[0], expected, std::string("engine ") + shape);
    expect_logits_match(reference_run(model, {ids})[0], expected, std::string("reference ") + shape);
  }
}

TEST(TinyGpt, every_linear_layer_is_compressed_and_runs_compressed) {
  const Model model = load_onnx(kTinyGpt + ".onnx");
  // Per layer: the packed in_proj (one 48 x 16 matrix), out_proj, the two feed-forward layers; then the head.
  const std::vector<WeightSlot> slots = model.weight_slots();
  ASSERT_EQ(slots.size(), 9u);
  int in_proj = 0;
  for (const WeightSlot& slot : slots) in_proj += slot.rows == 48 && slot.cols == 16;
  EXPECT_EQ(in_proj, 2);
  ModelCompressionOptions options;
  options.density = LayerRules::parse_density("0.25");
  options.bits = LayerRules::parse_bits("4");
  const Model compressed = compress_model(model, options).model;
  EXPECT_EQ(compressed.compressed.size(), 9u);
  const Tensor ids = read_tensor(kTinyGpt + "_ids_2x7.npy");
  ModelEngine engine(compressed, std::vector<Shape>{ids.shape});
  int through_engine = 0;
  for (const NodePlanInfo& info : engine.plan_info()) {
    through_engine += info.path.find("compressed") != std::string::npos;
  }
  EXPECT_EQ(through_engine, 9);
  const Tensor expected = reference_run(compressed, {ids})[0];
  const Tensor actual = engine.run({ids})[0];
  for (std::size_t i = 0; i < expected.data.size(); ++i) {
    ASSERT_NEAR(actual.data[i], expected.data[i], 2e-4 * std::max(1.0f, std::fabs(expected.data[i]))) << i;
  }
}

// A new input shape plans; a shape seen before takes its kept plan (nothing planned), the same logits.
TEST(ModelEnginePlans, a_shape_seen_before_reuses_its_plan) {
  const Model model = load_onnx(kTinyGpt + ".onnx");
  const Tensor one = read_tensor(kTinyGpt + "_ids_1x1.npy"), seven = read_tensor(kTinyGpt + "_ids_2x7.npy");
  const Tensor one_logits = read_tensor(kTinyGpt + "_logits_1x1.npy");
  const Tensor seven_logits = read_tensor(kTinyGpt + "_logits_2x7.npy");
  ModelEngine engine(model, std::vector<Shape>{one.shape});
  EXPECT_EQ(engine.plans_made(), 1);
  expect_logits_match(engine.run({seven})[0], seven_logits, "2x7, new");
  EXPECT_EQ(engine.plans_made(), 2);
  EXPECT_EQ(engine.input_shapes()[0], seven.shape);
  expect_logits_match(engine.run({one})[0], one_logits, "1x1, seen");
  expect_logits_match(engine.run({seven})[0], seven_logits, "2x7, seen");
  engine.reshape({one.shape});
  EXPECT_EQ(engine.plans_made(), 2);
  EXPECT_EQ(engine.cached_plans(), 2u);
  // The spans run() runs the current plan.
  std::vector<float> y(one_logits.data.size());
  engine.run({std::span<const float>(one.data)}, {std::span<float>(y)});
  expect_logits_match(Tensor{one_logits.shape, y}, one_logits, "1x1, spans");
  // A shape that cannot be planned leaves the current plan as it was.
  expect_error([&] { engine.reshape({{1, 13}}); }, {"(Gather)", "index 12 is out of range"});
  EXPECT_EQ(engine.input_shapes()[0], one.shape);
  // At most kMaxCachedPlans are kept; the least recently used goes first.
  for (std::int64_t length = 2; length <= 12; ++length) engine.reshape({{1, length}});
  EXPECT_EQ(engine.cached_plans(), ModelEngine::kMaxCachedPlans);
  const std::int64_t made = engine.plans_made();
  engine.reshape({{1, 12}});
  EXPECT_EQ(engine.plans_made(), made);
  engine.reshape({{1, 2}});  // dropped: planned again
  EXPECT_EQ(engine.plans_made(), made + 1);
}

TEST(TinyGptErrors, token_id_outside_the_embedding_table_names_the_node_and_value) {
  const Model model = load_onnx(kTinyGpt + ".onnx");
  Tensor ids = read_tensor(kTinyGpt + "_ids_2x7.npy");
  ids.data[3] = 40;
  ModelEngine engine(model, std::vector<Shape>{ids.shape});
  expect_error([&] { engine.run({ids}); }, {"(Gather)", "index 40 is out of range for axis 0 of size 32"});
  ids.data[3] = -33;
  expect_error([&] { reference_run(model, {ids}); }, {"(Gather)", "index -33 is out of range"});
}

TEST(TinyGptErrors, sequence_longer_than_the_position_table_names_the_node_and_value) {
  const Model model = load_onnx(kTinyGpt + ".onnx");
  expect_error([&] { ModelEngine engine(model, std::vector<Shape>{{1, 13}}); },
               {"(Gather)", "index 12 is out of range for axis 0 of size 12"});
}

}  // namespace
}  // namespace eie
