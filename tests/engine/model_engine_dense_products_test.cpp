// ModelEngineOptions::dense_products: every dense weight's product (Gemm, MatMul, LSTM) goes to the function it
// makes, with the weight rows first and its bias, and the network computes what it computes on OpenBLAS.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "common/random_tensor.h"
#include "common/test_util.h"
#include "eie/engine.h"

namespace eie::test {
namespace {

Node node(std::string op, std::string name, std::vector<std::string> in, std::vector<std::string> out,
          std::map<std::string, Attribute> attributes = {}) {
  return Node{std::move(op), std::move(name), std::move(in), std::move(out), std::move(attributes)};
}

// Y = X W^T + bias by plain loops, counting the products it made and the rows it ran.
struct Loops {
  int products = 0;
  std::int64_t rows_run = 0;
  ModelEngineOptions::DenseProduct make(std::vector<float> w, std::int64_t n, std::int64_t k, std::vector<float> bias) {
    ++products;
    return [this, w = std::move(w), n, k, bias = std::move(bias)](const float* x, float* y, std::int64_t m) {
      rows_run += m;
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t r = 0; r < n; ++r) {
          double sum = bias.empty() ? 0.0 : bias[static_cast<std::size_t>(r)];
          for (std::int64_t c = 0; c < k; ++c) sum += static_cast<double>(w[static_cast<std::size_t>(r * k + c)]) * x[i * k + c];
          y[i * n + r] = static_cast<float>(sum);
        }
      }
    };
  }
};

void expect_same_outputs(const Model& m, const std::vector<Tensor>& inputs, int expected_products) {
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape);
  const std::vector<Tensor> expected = ModelEngine(m, shapes).run(inputs);
  auto loops = std::make_shared<Loops>();
  ModelEngineOptions options;
  options.dense_products = [loops](std::vector<float> w, std::int64_t n, std::int64_t k, std::vector<float> bias) {
    return loops->make(std::move(w), n, k, std::move(bias));
  };
  ModelEngine engine(m, shapes, options);
  EXPECT_EQ(loops->products, expected_products);
  for (const NodePlanInfo& info : engine.plan_info()) {
    EXPECT_EQ(info.path.find("OpenBLAS"), std::string::npos) << info.node << ": " << info.path;
  }
  const std::vector<Tensor> actual = engine.run(inputs);
  EXPECT_GT(loops->rows_run, 0);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    ASSERT_EQ(actual[i].shape, expected[i].shape);
    for (std::size_t k = 0; k < actual[i].data.size(); ++k) {
      ASSERT_NEAR(actual[i].data[k], expected[i].data[k], 1e-4 * (1 + std::fabs(expected[i].data[k])))
          << "output " << i << " element " << k;
    }
  }
}

TEST(ModelEngineDenseProducts, gemm_and_matmul) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  Model m;
  m.inputs = {{"x", {-1, 23}}};
  m.outputs = {{"y", {-1, 7}}};
  m.initializers["w1"] = random_tensor({31, 23}, rng, 0.3f);
  m.initializers["b1"] = random_tensor({31}, rng, 0.3f);
  m.initializers["w2"] = random_tensor({31, 7}, rng, 0.3f);  // MatMul: [K, N]
  m.nodes = {node("Gemm", "fc1", {"x", "w1", "b1"}, {"h"}, {{"transB", std::int64_t{1}}}),
             node("Relu", "relu", {"h"}, {"r"}), node("MatMul", "fc2", {"r", "w2"}, {"y"})};
  for (std::int64_t batch : {1, 5}) expect_same_outputs(m, {random_tensor({batch, 23}, rng, 0.3f)}, 2);
}

TEST(ModelEngineDenseProducts, lstm) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  Model m;
  m.inputs = {{"x", {3, 2, 5}}};  // sequence 3, batch 2, input 5
  m.outputs = {{"yh", {}}};
  m.initializers["W"] = random_tensor({1, 16, 5}, rng, 0.3f);
  m.initializers["R"] = random_tensor({1, 16, 4}, rng, 0.3f);
  m.nodes = {node("LSTM", "l", {"x", "W", "R"}, {"", "yh"}, {{"hidden_size", std::int64_t{4}}})};
  expect_same_outputs(m, {random_tensor({3, 2, 5}, rng, 0.3f)}, 1);
}

}  // namespace
}  // namespace eie::test
