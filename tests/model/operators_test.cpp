// The scalar operators and shape inference on hand-computed cases and edge cases (ONNX's node tests, run in
// tests/engine/onnx_conformance_test.cpp, cover the breadth): what each computes, and the errors that name the
// node, the attribute and the value.
#include <gtest/gtest.h>

#include <cmath>

#include "common/test_util.h"
#include "eie/model.h"
#include "model/one_node_model.h"

namespace eie {
namespace {


TEST(Operators, conv_one_by_one_with_stride_and_padding_by_hand) {
  // x = [[1, 2], [3, 4]], w = 2, bias 1, pads 1, stride 2: positions (-1,-1), (-1,1), (1,-1), (1,1).
  Model m = one_node_model("Conv", {{"x", {1, 1, 2, 2}}},
                   {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}, {"strides", std::vector<std::int64_t>{2, 2}}},
                   {{"w", Tensor{{1, 1, 1, 1}, {2.0f}}}, {"b", Tensor{{1}, {1.0f}}}}, {"w", "b"});
  const Tensor y = reference_run(m, {Tensor{{1, 1, 2, 2}, {1, 2, 3, 4}}})[0];
  EXPECT_EQ(y.shape, (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.data, (std::vector<float>{1, 1, 1, 9}));
}

TEST(Operators, average_pool_count_include_pad) {
  const std::map<std::string, Attribute> base = {{"kernel_shape", std::vector<std::int64_t>{2}},
                                                 {"pads", std::vector<std::int64_t>{1, 0}}};
  Model m = one_node_model("AveragePool", {{"x", {1, 1, 2}}}, base);
  EXPECT_EQ(reference_run(m, {Tensor{{1, 1, 2}, {2, 4}}})[0].data, (std::vector<float>{2, 3}));
  m.nodes[0].attributes["count_include_pad"] = std::int64_t{1};
  EXPECT_EQ(reference_run(m, {Tensor{{1, 1, 2}, {2, 4}}})[0].data, (std::vector<float>{1, 3}));
}

TEST(Operators, softmax_rows_sum_to_one_and_log_softmax_is_its_log) {
  Rng rng(test::seed());
  Tensor x{{3, 5}, {}};
  for (int i = 0; i < 15; ++i) x.data.push_back(static_cast<float>(rng.normal() * 10));
  const Tensor s = reference_run(one_node_model("Softmax", {{"x", {3, 5}}}), {x})[0];
  const Tensor l = reference_run(one_node_model("LogSoftmax", {{"x", {3, 5}}}), {x})[0];
  for (int r = 0; r < 3; ++r) {
    double sum = 0;
    for (int c = 0; c < 5; ++c) {
      sum += s.data[static_cast<std::size_t>(r * 5 + c)];
      EXPECT_NEAR(std::log(s.data[static_cast<std::size_t>(r * 5 + c)]), l.data[static_cast<std::size_t>(r * 5 + c)], 1e-4);
    }
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

TEST(Operators, broadcasting_add_of_a_column_and_a_row) {
  const Tensor y = reference_run(one_node_model("Add", {{"a", {2, 1}}, {"b", {3}}}), {Tensor{{2, 1}, {10, 20}}, Tensor{{3}, {1, 2, 3}}})[0];
  EXPECT_EQ(y.shape, (Shape{2, 3}));
  EXPECT_EQ(y.data, (std::vector<float>{11, 12, 13, 21, 22, 23}));
}

TEST(Operators, empty_tensors_flow_through) {
  const Tensor y = reference_run(one_node_model("Relu", {{"x", {0, 4}}}), {Tensor{{0, 4}, {}}})[0];
  EXPECT_EQ(y.shape, (Shape{0, 4}));
  EXPECT_TRUE(y.data.empty());
}

TEST(ShapeInference, every_tensor_gets_its_shape) {
  Model m = one_node_model("Flatten", {{"x", {-1, 3, 4}}}, {{"axis", std::int64_t{-1}}});
  const auto shapes = infer_shapes(m, {{"x", {5, 3, 4}}});
  EXPECT_EQ(shapes.at("y"), (Shape{15, 4}));
}

TEST(ShapeInference, errors_name_the_node_and_the_value) {
  test::expect_error([] { infer_shapes(one_node_model("NonZero", {{"x", {2}}}), {{"x", {2}}}); },
                     {"node 'n'", "operator NonZero is not supported"});
  test::expect_error([] { infer_shapes(one_node_model("MaxPool", {{"x", {1, 1, 4, 4}}}, {{"kernel_shape", std::vector<std::int64_t>{2, 2}}, {"storage_order", std::int64_t{1}}}), {{"x", {1, 1, 4, 4}}}); },
                     {"node 'n' (MaxPool)", "storage_order = 1"});
  test::expect_error([] { infer_shapes(one_node_model("Concat", {{"a", {2, 3}}, {"b", {2, 4}}}, {{"axis", std::int64_t{0}}}), {{"a", {2, 3}}, {"b", {2, 4}}}); },
                     {"node 'n' (Concat)", "[2, 4]"});
  test::expect_error([] { infer_shapes(one_node_model("Softmax", {{"x", {2, 3}}}, {{"axis", std::int64_t{2}}}), {{"x", {2, 3}}}); },
                     {"node 'n' (Softmax)", "axis 2"});
  test::expect_error([] { infer_shapes(one_node_model("Relu", {{"x", {2, 3}}}), {}); }, {"graph input 'x'", "no shape"});
  test::expect_error([] { declared_input_shapes(one_node_model("Relu", {{"x", {-1, 3}}})); }, {"graph input 'x'", "dynamic shape [-1, 3]"});
  test::expect_error([] { check_runnable_type("uint8", "graph input 'x'"); }, {"graph input 'x'", "uint8"});
}

}  // namespace
}  // namespace eie

namespace eie {
namespace {

// Erf and Gelu run a rational approximation, not std::erf: within 4e-7 of erf in double over [-8, 8] (every
// float step of 1/4096, both tails included), exact at 0, +-1 at the infinities, NaN kept.
TEST(Operators, erf_and_gelu_follow_erf_in_double) {
  Tensor x{{0}, {}};
  for (int i = -8 * 4096; i <= 8 * 4096; ++i) x.data.push_back(static_cast<float>(i) / 4096.0f);
  x.data.insert(x.data.end(), {1e-30f, -1e-30f, INFINITY, -INFINITY, NAN});
  const std::int64_t n = static_cast<std::int64_t>(x.data.size());
  x.shape = {n};
  const Tensor e = reference_run(one_node_model("Erf", {{"x", {n}}}), {x})[0];
  const Tensor g = reference_run(one_node_model("Gelu", {{"x", {n}}}), {x})[0];
  for (std::int64_t i = 0; i < n - 5; ++i) {
    const double v = x.data[static_cast<std::size_t>(i)];
    ASSERT_NEAR(e.data[static_cast<std::size_t>(i)], std::erf(v), 4e-7) << v;
    const double gelu = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    ASSERT_NEAR(g.data[static_cast<std::size_t>(i)], gelu, 2e-6 * std::max(1.0, std::abs(gelu))) << v;
  }
  const float* tail = e.data.data() + (n - 5);
  EXPECT_FLOAT_EQ(tail[0], 1.1283792e-30f);
  EXPECT_FLOAT_EQ(tail[1], -1.1283792e-30f);
  EXPECT_EQ(tail[2], 1.0f);
  EXPECT_EQ(tail[3], -1.0f);
  EXPECT_TRUE(std::isnan(tail[4]));
  EXPECT_EQ(e.data[8 * 4096], 0.0f);
}

TEST(Operators, transformer_operators_by_hand) {
  // Gelu (exact): x * Phi(x); Gelu(1) = 0.841345, Gelu(-1) = -0.158655.
  const Tensor g = reference_run(one_node_model("Gelu", {{"x", {3}}}), {Tensor{{3}, {1, -1, 0}}})[0];
  EXPECT_NEAR(g.data[0], 0.841345f, 1e-6f);
  EXPECT_NEAR(g.data[1], -0.158655f, 1e-6f);
  EXPECT_EQ(g.data[2], 0.0f);
  // Cast to int64 truncates toward zero; to bool is 0 or 1.
  const Model to_int = one_node_model("Cast", {{"x", {3}}}, {{"to", std::int64_t{7}}});
  EXPECT_EQ(reference_run(to_int, {Tensor{{3}, {1.7f, -1.7f, 2}}})[0].data, (std::vector<float>{1, -1, 2}));
  EXPECT_EQ(reference_run(one_node_model("Cast", {{"x", {2}}}, {{"to", std::int64_t{9}}}), {Tensor{{2}, {0.5f, 0}}})[0].data,
            (std::vector<float>{1, 0}));
  // Trilu lower with k = -1 keeps below the diagonal.
  Model tril = one_node_model("Trilu", {{"x", {3, 3}}}, {{"upper", std::int64_t{0}}}, {{"k", Tensor{{}, {-1}}}}, {"k"});
  EXPECT_EQ(reference_run(tril, {Tensor{{3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}})[0].data,
            (std::vector<float>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
  // Slice with a negative step and a "to the end" sentinel.
  Model slice = one_node_model("Slice", {{"x", {5}}}, {},
                       {{"s", Tensor{{1}, {-1}}}, {"e", Tensor{{1}, {-9.3e18f}}}, {"a", Tensor{{1}, {0}}},
                        {"st", Tensor{{1}, {-2}}}},
                       {"s", "e", "a", "st"});
  EXPECT_EQ(reference_run(slice, {Tensor{{5}, {0, 1, 2, 3, 4}}})[0].data, (std::vector<float>{4, 2, 0}));
  // LayerNormalization over the last axis: mean 2, variance 2/3.
  Model norm = one_node_model("LayerNormalization", {{"x", {1, 3}}}, {{"epsilon", 0.0f}},
                      {{"s", Tensor{{3}, {1, 1, 2}}}, {"b", Tensor{{3}, {0, 0, 1}}}}, {"s", "b"});
  const Tensor n = reference_run(norm, {Tensor{{1, 3}, {1, 2, 3}}})[0];
  EXPECT_NEAR(n.data[0], -1.224745f, 1e-5f);
  EXPECT_NEAR(n.data[1], 0.0f, 1e-6f);
  EXPECT_NEAR(n.data[2], 2 * 1.224745f + 1, 1e-5f);
}

TEST(Operators, transformer_operator_errors_name_the_node_and_value) {
  test::expect_error([] { reference_run(one_node_model("Gather", {{"x", {2, 2}}}, {}, {{"i", Tensor{{1}, {2}}}}, {"i"}),
                                        {Tensor{{2, 2}, {1, 2, 3, 4}}}); },
                     {"node 'n' (Gather)", "index 2 is out of range for axis 0 of size 2"});
  test::expect_error([] { infer_shapes(one_node_model("Split", {{"x", {5}}}, {}, {{"p", Tensor{{2}, {2, 2}}}}, {"p"}),
                                       {{"x", {5}}}); },
                     {"node 'n' (Split)", "split sizes [2, 2] do not add up to dimension 5"});
  const Model gelu = one_node_model("Gelu", {{"x", {1}}}, {{"approximate", std::string("erf")}});
  test::expect_error([&] { make_operator(gelu.nodes[0], gelu); }, {"node 'n' (Gelu)", "approximate = erf"});
}

}  // namespace
}  // namespace eie
