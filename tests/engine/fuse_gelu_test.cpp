// GELU in its pre-opset-20 form (Div by sqrt 2, Erf, Add 1, Mul by x, Mul by 0.5) becomes one Gelu node: the same
// outputs, one engine step, and anything that would change the result (an intermediate read elsewhere, other
// constants) leaves the graph as it is.
#include <gtest/gtest.h>

#include <cmath>

#include "common/random_tensor.h"
#include "common/test_util.h"
#include "eie/engine.h"

namespace eie::test {
namespace {

struct GeluForm {
  bool multiply_by_inverse = false;  // x * (1 / sqrt 2) instead of x / sqrt 2
  bool half_first = false;           // (1 + erf) * 0.5 * x instead of (1 + erf) * x * 0.5
};

// x [2, 16] -> GELU as torch.onnx.export writes nn.GELU at opset 14 (its scalars here initializers).
Model decomposed_gelu(GeluForm form = {}) {
  Model m;
  m.name = "gelu";
  m.inputs = {{"x", {2, 16}}};
  m.outputs = {{"y", {}}};
  const auto n = [](std::string op, std::vector<std::string> in, std::string out) {
    return Node{op, op + "_" + out, std::move(in), {std::move(out)}, {}};
  };
  m.initializers["scale"] = Tensor{{}, {form.multiply_by_inverse ? float(M_SQRT1_2) : float(M_SQRT2)}};
  m.initializers["one"] = Tensor{{}, {1.0f}};
  m.initializers["half"] = Tensor{{}, {0.5f}};
  m.nodes = {n(form.multiply_by_inverse ? "Mul" : "Div", {"x", "scale"}, "s"), n("Erf", {"s"}, "e"),
             n("Add", {"e", "one"}, "p")};
  if (form.half_first) {
    m.nodes.push_back(n("Mul", {"half", "p"}, "h"));
    m.nodes.push_back(n("Mul", {"h", "x"}, "y"));
  } else {
    m.nodes.push_back(n("Mul", {"x", "p"}, "h"));
    m.nodes.push_back(n("Mul", {"h", "half"}, "y"));
  }
  return m;
}

void expect_same_outputs(const Model& a, const Model& b, Rng& rng) {
  const Tensor x = random_tensor({2, 16}, rng, 3.0f);
  const Tensor ya = reference_run(a, {x})[0], yb = reference_run(b, {x})[0];
  ASSERT_EQ(ya.shape, yb.shape);
  for (std::size_t i = 0; i < ya.data.size(); ++i) EXPECT_NEAR(ya.data[i], yb.data[i], 1e-6 * (1 + std::fabs(ya.data[i])));
}

TEST(FuseGelu, five_nodes_become_one_with_the_same_outputs) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (const GeluForm form : {GeluForm{false, false}, GeluForm{true, false}, GeluForm{false, true}}) {
    SCOPED_TRACE(::testing::Message() << "inverse " << form.multiply_by_inverse << ", half first " << form.half_first);
    const Model m = decomposed_gelu(form);
    const std::optional<Model> fused = fuse_gelus(m);
    ASSERT_TRUE(fused);
    ASSERT_EQ(fused->nodes.size(), 1u);
    EXPECT_EQ(fused->nodes[0].op_type, "Gelu");
    EXPECT_EQ(fused->nodes[0].inputs, std::vector<std::string>{"x"});
    EXPECT_EQ(fused->nodes[0].outputs, std::vector<std::string>{"y"});
    expect_same_outputs(m, *fused, rng);
  }
}

TEST(FuseGelu, the_engine_plans_one_step_and_matches_the_reference) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  const Model m = decomposed_gelu();
  const Tensor x = random_tensor({2, 16}, rng, 3.0f);
  ModelEngine engine(m, {{2, 16}});
  const std::vector<NodePlanInfo> info = engine.plan_info();
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].op_type, "Gelu");
  const Tensor expected = reference_run(m, {x})[0], actual = engine.run({x})[0];
  for (std::size_t i = 0; i < expected.data.size(); ++i) {
    EXPECT_NEAR(actual.data[i], expected.data[i], 1e-6 * (1 + std::fabs(expected.data[i])));
  }
}

TEST(FuseGelu, anything_that_would_change_the_result_is_left_alone) {
  const auto expect_unfused = [](const Model& m, const char* why) {
    SCOPED_TRACE(why);
    EXPECT_FALSE(fuse_gelus(m));
  };
  {
    Model m = decomposed_gelu();
    m.outputs.push_back({"e", {}});  // an intermediate is a graph output
    expect_unfused(m, "graph output");
  }
  {
    Model m = decomposed_gelu();
    m.nodes.push_back(Node{"Relu", "extra", {"p"}, {"extra"}, {}});  // an intermediate read by another node
    m.outputs.push_back({"extra", {}});
    expect_unfused(m, "second reader");
  }
  {
    Model m = decomposed_gelu();
    m.initializers["scale"] = Tensor{{}, {2.0f}};
    expect_unfused(m, "x / 2");
  }
  {
    Model m = decomposed_gelu();
    m.initializers["one"] = Tensor{{}, {2.0f}};
    expect_unfused(m, "2 + erf");
  }
  {
    Model m = decomposed_gelu();
    m.initializers["half"] = Tensor{{}, {0.25f}};
    expect_unfused(m, "a quarter");
  }
  {
    Model m = decomposed_gelu();
    m.inputs.push_back({"z", {2, 16}});
    m.nodes[3].inputs = {"z", "p"};  // multiplied by another tensor than the Erf's input
    expect_unfused(m, "another factor");
  }
}

}  // namespace
}  // namespace eie::test
