// Layer normalisation in its opset-14 form (nine nodes) becomes one LayerNormalization node: same outputs, the
// engine plans one step for it, and anything that would change the result (an intermediate read elsewhere or
// returned, another axis, a scale of the wrong shape, another exponent) leaves the graph as it is.
#include <gtest/gtest.h>

#include <cmath>

#include "common/random_tensor.h"
#include "common/test_util.h"
#include "eie/engine.h"

namespace eie::test {
namespace {

// Values with a mean away from 0, so that subtracting the mean matters.
Tensor offset_tensor(Shape shape, Rng& rng) { return random_tensor(std::move(shape), rng, 2.0f, 0.5f); }

// x [2, 3, 8] -> layer norm over the last axis as torch.onnx.export writes nn.LayerNorm at opset 14 (its scalars
// here initializers), then Relu.
Model decomposed_layer_norm(Rng& rng, bool with_bias = true) {
  Model m;
  m.name = "layer_norm";
  m.inputs = {{"x", {2, 3, 8}}};
  m.outputs = {{"out", {}}};
  m.initializers["gamma"] = offset_tensor({8}, rng);
  m.initializers["beta"] = offset_tensor({8}, rng);
  const auto n = [](std::string op, std::vector<std::string> in, std::string out,
                    std::map<std::string, Attribute> attributes = {}) {
    return Node{op, op + "_" + out, std::move(in), {std::move(out)}, std::move(attributes)};
  };
  const std::vector<std::int64_t> last = {-1};
  m.nodes = {n("ReduceMean", {"x"}, "m", {{"axes", last}}),
             n("Sub", {"x", "m"}, "d"),
             n("Pow", {"d", "two"}, "p"),
             n("ReduceMean", {"p"}, "v", {{"axes", last}}),
             n("Add", {"v", "eps"}, "e"),
             n("Sqrt", {"e"}, "s"),
             n("Div", {"d", "s"}, "q"),
             n("Mul", {"q", "gamma"}, "g"),
             n("Add", {"beta", "g"}, "y"),
             n("Relu", {with_bias ? "y" : "g"}, "out")};
  if (!with_bias) m.nodes.erase(m.nodes.end() - 2);
  m.initializers["two"] = Tensor{{}, {2.0f}};
  m.initializers["eps"] = Tensor{{}, {1e-5f}};
  return m;
}

std::map<std::string, Shape> shapes_of(const Model& m) { return infer_shapes(m, {{"x", {2, 3, 8}}}); }

void expect_same_outputs(const Model& a, const Model& b, Rng& rng) {
  const Tensor x = offset_tensor({2, 3, 8}, rng);
  const Tensor ya = reference_run(a, {x})[0], yb = reference_run(b, {x})[0];
  ASSERT_EQ(ya.shape, yb.shape);
  for (std::size_t i = 0; i < ya.data.size(); ++i) EXPECT_NEAR(ya.data[i], yb.data[i], 2e-6 * (1 + std::fabs(ya.data[i])));
}

TEST(FuseLayerNorm, nine_nodes_become_one_with_the_same_outputs) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (const bool bias : {true, false}) {
    SCOPED_TRACE(bias ? "with bias" : "without bias");
    const Model m = decomposed_layer_norm(rng, bias);
    const std::optional<Model> fused = fuse_layer_norms(m, shapes_of(m));
    ASSERT_TRUE(fused);
    ASSERT_EQ(fused->nodes.size(), 2u);
    const Node& ln = fused->nodes[0];
    EXPECT_EQ(ln.op_type, "LayerNormalization");
    EXPECT_EQ(ln.inputs, bias ? (std::vector<std::string>{"x", "gamma", "beta"}) : (std::vector<std::string>{"x", "gamma"}));
    EXPECT_EQ(ln.outputs, std::vector<std::string>{bias ? "y" : "g"});
    EXPECT_FLOAT_EQ(ln.attr_float("epsilon", 0.0f), 1e-5f);
    EXPECT_EQ(fused->nodes[1].op_type, "Relu");
    expect_same_outputs(m, *fused, rng);
  }
}

TEST(FuseLayerNorm, the_engine_plans_one_step_and_matches_the_reference) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  const Model m = decomposed_layer_norm(rng);
  const Tensor x = offset_tensor({2, 3, 8}, rng);
  ModelEngine engine(m, {{2, 3, 8}});
  const std::vector<NodePlanInfo> info = engine.plan_info();
  ASSERT_EQ(info.size(), 2u);
  EXPECT_EQ(info[0].op_type, "LayerNormalization");
  const Tensor expected = reference_run(m, {x})[0], actual = engine.run({x})[0];
  for (std::size_t i = 0; i < expected.data.size(); ++i) {
    EXPECT_NEAR(actual.data[i], expected.data[i], 2e-6 * (1 + std::fabs(expected.data[i])));
  }
}

TEST(FuseLayerNorm, anything_that_would_change_the_result_is_left_alone) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  const auto expect_unfused = [&](const Model& m, const char* why) {
    SCOPED_TRACE(why);
    EXPECT_FALSE(fuse_layer_norms(m, shapes_of(m)));
  };
  {
    Model m = decomposed_layer_norm(rng);
    m.outputs.push_back({"d", {}});  // an intermediate is a graph output
    expect_unfused(m, "graph output");
  }
  {
    Model m = decomposed_layer_norm(rng);
    m.nodes.push_back(Node{"Relu", "extra", {"s"}, {"extra"}, {}});  // an intermediate read by another node
    m.outputs.push_back({"extra", {}});
    expect_unfused(m, "second reader");
  }
  {
    Model m = decomposed_layer_norm(rng);
    m.nodes[0].attributes["axes"] = std::vector<std::int64_t>{1};  // the mean over another axis
    expect_unfused(m, "axis 1");
  }
  {
    Model m = decomposed_layer_norm(rng);
    m.initializers["gamma"] = offset_tensor({1}, rng);  // a scalar scale broadcasts, not one per channel
    expect_unfused(m, "scalar gamma");
  }
  {
    Model m = decomposed_layer_norm(rng);
    m.initializers["two"] = Tensor{{}, {3.0f}};
    expect_unfused(m, "cube");
  }
}

}  // namespace
}  // namespace eie::test
