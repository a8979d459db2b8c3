// ModelEngine on whole networks, compressed and dense, against the scalar reference interpreter; BatchNorm
// folding; and the bad-input messages (operator, attribute, shapes, types, missing tensors).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/random_tensor.h"
#include "common/test_util.h"
#include "eie/engine.h"
#include "eie/io.h"
#include "engine/kernels/kernel.h"

namespace eie::test {
namespace {

Node node(std::string op, std::string name, std::vector<std::string> in, std::vector<std::string> out,
          std::map<std::string, Attribute> attributes = {}) {
  return Node{std::move(op), std::move(name), std::move(in), std::move(out), std::move(attributes)};
}

// Prunes every weight slot to `density` and shares its weights in a 4-bit codebook (zero reserved).
void compress_all(Model& model, double density, std::uint64_t s) {
  Rng rng(s);
  for (const WeightSlot& slot : model.weight_slots()) {
    std::vector<float> m = weight_matrix(model.initializers.at(slot.name), slot.layout);
    float lo = 0.0f, hi = 0.0f;
    for (float& v : m) {
      if (rng.uniform() >= density) v = 0.0f;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    std::vector<float> values = {0.0f};
    for (int i = 0; i < 15; ++i) values.push_back(lo + (hi - lo) * static_cast<float>(i) / 14.0f);
    values.erase(std::remove(values.begin() + 1, values.end(), 0.0f), values.end());
    model.compress_weight(slot, CompressedLayer::from_dense(slot.rows, slot.cols, m, Codebook(values, 4, true)));
  }
}

// Runs the engine (every kernel, 1 and 2 threads, with and without skip_zero_activations) and the reference;
// expects agreement within fp32 rounding.
void expect_engine_matches_reference(const Model& model, const std::vector<Tensor>& inputs, double tolerance = 2e-4) {
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape);
  const std::vector<Tensor> expected = reference_run(model, inputs);
  for (KernelIsa isa : {KernelIsa::scalar, KernelIsa::avx2, KernelIsa::avx512, KernelIsa::neon}) {
    if (!kernel_isa_available(isa)) continue;
    for (int threads : {1, 2}) for (bool skip : {false, true}) {
      SCOPED_TRACE(std::string(kernel_isa_name(isa)) + ", threads " + std::to_string(threads) +
                   (skip ? ", skip zero activations" : ""));
      ModelEngine engine(model, shapes, ModelEngineOptions{.threads = threads, .kernel = isa, .skip_zero_activations = skip});
      const std::vector<Tensor> actual = engine.run(inputs);
      ASSERT_EQ(actual.size(), expected.size());
      for (std::size_t i = 0; i < actual.size(); ++i) {
        ASSERT_EQ(actual[i].shape, expected[i].shape);
        double scale = 1.0;
        for (float v : expected[i].data) scale = std::max(scale, static_cast<double>(std::fabs(v)));
        for (std::size_t k = 0; k < actual[i].data.size(); ++k) {
          ASSERT_NEAR(actual[i].data[k], expected[i].data[k], tolerance * scale) << "output " << i << " element " << k;
        }
      }
    }
  }
}

Model mlp(Rng& rng, std::int64_t in, std::int64_t hidden, std::int64_t out) {
  Model m;
  m.name = "mlp";
  m.inputs = {{"x", {-1, in}}};
  m.outputs = {{"y", {-1, out}}};
  m.initializers["w1"] = random_tensor({hidden, in}, rng, 0.3f);
  m.initializers["b1"] = random_tensor({hidden}, rng);
  m.initializers["w2"] = random_tensor({hidden, out}, rng, 0.3f);  // transB = 0: [K, N]
  m.initializers["b2"] = random_tensor({out}, rng);
  m.nodes = {node("Gemm", "fc1", {"x", "w1", "b1"}, {"h"}, {{"transB", std::int64_t{1}}}),
             node("Relu", "relu", {"h"}, {"r"}),
             node("Gemm", "fc2", {"r", "w2", "b2"}, {"z"}),
             node("Softmax", "softmax", {"z"}, {"y"})};
  return m;
}

TEST(ModelEngine, compressed_mlp_matches_reference) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (std::int64_t batch : {1, 3, 64}) {
    Model m = mlp(rng, 37, 50, 10);
    compress_all(m, 0.3, seed() + static_cast<std::uint64_t>(batch));
    ASSERT_EQ(m.compressed.size(), 2u);
    expect_engine_matches_reference(m, {random_tensor({batch, 37}, rng)});
  }
}

// ModelEngineOptions::precision and compact_codes reach every compressed product (int8: outputs of the softmax
// within a few hundredths of the reference).
TEST(ModelEngine, int8_with_compact_codes_reaches_every_compressed_product) {
  if (!precision_available(Precision::int8)) GTEST_SKIP() << "this CPU lacks AVX-512 VNNI and VBMI, and AVX2";
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  Model m = mlp(rng, 37, 50, 10);
  compress_all(m, 0.3, seed());
  const std::vector<Tensor> inputs = {random_tensor({3, 37}, rng)};
  const std::vector<Tensor> expected = reference_run(m, inputs);
  ModelEngine engine(m, {inputs[0].shape}, ModelEngineOptions{.threads = 2, .precision = Precision::int8,
                                                              .compact_codes = true});
  // sell16x4 with compact codes on AVX-512 VNNI and VBMI; on AVX2 sell16 in int8, which has no compact form.
  const std::string int8_kernel = engine::avx512_int8_available() ? "spmv_sell16x4c_cb16" : "spmv_sell16i8_cb16";
  int compact = 0;
  for (const NodePlanInfo& node : engine.plan_info()) compact += node.path.find(int8_kernel) != std::string::npos;
  EXPECT_EQ(compact, 2);  // fc1 and fc2
  const std::vector<Tensor> actual = engine.run(inputs);
  for (std::size_t k = 0; k < actual[0].data.size(); ++k) ASSERT_NEAR(actual[0].data[k], expected[0].data[k], 0.05);
}

// plan_info() gives each weighted node's kernel and the bytes its planned weights take: a compressed product's
// are those of the Engine it plans, a dense one's its fp32 values; other nodes none.
TEST(ModelEngine, plan_info_gives_the_kernel_and_weight_bytes_of_each_product) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  Model m = mlp(rng, 37, 50, 10);
  compress_all(m, 0.3, seed());
  const std::vector<NodePlanInfo> info = ModelEngine(m, {{1, 37}}, ModelEngineOptions{.threads = 2}).plan_info();
  CompressedLayer fc1 = m.compressed.at("w1").layer;
  fc1.bias = m.initializers.at("b1").data;
  EngineOptions options;  // what the network's product of one row plans
  options.threads = 2;
  options.hidden_activation = options.output_activation = Activation::none;
  options.max_batch = 1;
  const Engine alone({fc1}, options);
  EXPECT_EQ(info[0].weight_bytes, alone.resident_bytes());
  EXPECT_EQ(info[0].kernel, alone.plan_info()[0].kernel);
  EXPECT_NE(info[0].path.find(info[0].kernel), std::string::npos) << info[0].path;
  EXPECT_EQ(info[1].kernel, "");
  EXPECT_EQ(info[1].weight_bytes, 0);

  const Model dense = mlp(rng, 20, 30, 5);
  const std::vector<NodePlanInfo> dense_info = ModelEngine(dense, {{4, 20}}).plan_info();
  EXPECT_EQ(dense_info[0].kernel, "OpenBLAS");
  EXPECT_EQ(dense_info[0].weight_bytes, (30 * 20 + 30) * 4);
}

// A bias Add after a MatMul over a stored weight (nn.Linear on 3-D inputs, as torch.onnx.export writes it) joins
// the product: the Add's plan says so and the outputs stay the reference's, compressed or dense; an Add whose
// MatMul output is read elsewhere too, or whose other input is no per-column constant, runs as it is.
TEST(ModelEngine, bias_add_after_a_matmul_joins_the_product) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  const auto linear = [&](const std::string& bias_shape) {
    Model m;
    m.name = "linear3d";
    m.inputs = {{"x", {2, 3, 12}}};
    m.outputs = {{"y", {}}};
    m.initializers["w"] = random_tensor({12, 7}, rng, 0.3f);
    m.initializers["b"] = random_tensor(bias_shape == "row" ? Shape{1, 7} : bias_shape == "full" ? Shape{3, 7} : Shape{7}, rng);
    m.nodes = {node("MatMul", "fc", {"x", "w"}, {"h"}), node("Add", "bias", {"h", "b"}, {"y"})};
    return m;
  };
  const std::vector<Tensor> inputs = {random_tensor({2, 3, 12}, rng)};
  for (const bool compressed : {false, true}) {
    for (const std::string bias : {"vector", "row"}) {
      SCOPED_TRACE((compressed ? "compressed, bias " : "dense, bias ") + bias);
      Model m = linear(bias);
      if (compressed) compress_all(m, 0.4, seed());
      const std::vector<NodePlanInfo> info = ModelEngine(m, {{2, 3, 12}}).plan_info();
      EXPECT_EQ(info[1].path, "fused into fc");
      expect_engine_matches_reference(m, inputs);
    }
  }
  Model full = linear("full");  // a bias per row and column: no per-column bias
  EXPECT_EQ(ModelEngine(full, {{2, 3, 12}}).plan_info()[1].path, "scalar operator");
  expect_engine_matches_reference(full, inputs);
  Model read_twice = linear("vector");
  read_twice.nodes.push_back(node("Relu", "relu", {"h"}, {"r"}));
  read_twice.outputs.push_back({"r", {}});
  EXPECT_EQ(ModelEngine(read_twice, {{2, 3, 12}}).plan_info()[1].path, "scalar operator");
  expect_engine_matches_reference(read_twice, inputs);
}

// ModelEngineOptions::profile times every node of every run (and changes no output); without it nothing is timed.
TEST(ModelEngine, profile_times_every_node_of_every_run) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  Model m = mlp(rng, 37, 50, 10);
  compress_all(m, 0.3, seed());
  const std::vector<Tensor> inputs = {random_tensor({2, 37}, rng)};
  ModelEngine profiled(m, {inputs[0].shape}, ModelEngineOptions{.profile = true});
  ModelEngine plain(m, {inputs[0].shape});
  for (int run = 0; run < 3; ++run) EXPECT_EQ(profiled.run(inputs)[0].data, plain.run(inputs)[0].data);
  double total = 0.0;
  for (const NodePlanInfo& node : profiled.plan_info()) {
    EXPECT_EQ(node.runs, 3) << node.node;
    EXPECT_GE(node.seconds, 0.0) << node.node;
    total += node.seconds;
  }
  EXPECT_GT(total, 0.0);
  for (const NodePlanInfo& node : plain.plan_info()) EXPECT_EQ(node.runs, 0) << node.node;
}

TEST(ModelEngine, dense_mlp_uses_blas_and_matches_reference) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  const Model m = mlp(rng, 20, 30, 5);
  expect_engine_matches_reference(m, {random_tensor({4, 20}, rng)});
  const ModelEngine engine(m, {{4, 20}});
  EXPECT_NE(engine.plan_info()[0].path.find("OpenBLAS"), std::string::npos) << engine.plan_info()[0].path;
}

TEST(ModelEngine, matmul_of_two_run_time_operands_small_and_large_matches_reference) {
  // Attention's products: the small ones (a decode step's 1 x 64 x 1 per head) take the direct loop, the
  // larger ones OpenBLAS; both against the reference operator, with batch broadcasting.
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (int round = 0; round < 40; ++round) {
    const bool small = round % 2 == 0;
    const auto dim = [&](std::uint64_t most) { return 1 + static_cast<std::int64_t>(rng.below(most)); };
    const std::int64_t m = small ? dim(3) : dim(40), k = small ? dim(64) : 40 + dim(40), n = small ? dim(3) : dim(40);
    const std::int64_t heads = dim(4);
    Shape sa{heads, m, k}, sb{heads, k, n};
    if (rng.below(3) == 0) sb = {k, n};  // broadcast over the batch
    else if (rng.below(2) == 0) sa = {1, m, k};
    Model model;
    model.inputs = {{"a", sa}, {"b", sb}};
    model.outputs = {{"y", {}}};
    model.nodes = {node("MatMul", "mm", {"a", "b"}, {"y"})};
    expect_engine_matches_reference(model, {random_tensor(sa, rng), random_tensor(sb, rng)});
    const ModelEngine engine(model, {sa, sb});
    const std::string path = engine.plan_info()[0].path;
    EXPECT_NE(path.find(m * n * k <= 4096 ? "direct loop" : "OpenBLAS"), std::string::npos) << path;
  }
}

TEST(ModelEngine, gemm_alpha_beta_matrix_bias_trans_a) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  Model m;
  m.inputs = {{"a", {12, 5}}, {"c", {5, 9}}};
  m.outputs = {{"y", {5, 9}}};
  m.initializers["b"] = random_tensor({9, 12}, rng);
  m.nodes = {node("Gemm", "g", {"a", "b", "c"}, {"y"},
                  {{"transA", std::int64_t{1}}, {"transB", std::int64_t{1}}, {"alpha", 0.5f}, {"beta", -2.0f}})};
  expect_engine_matches_reference(m, {random_tensor({12, 5}, rng), random_tensor({5, 9}, rng)});
  compress_all(m, 0.5, seed());
  expect_engine_matches_reference(m, {random_tensor({12, 5}, rng), random_tensor({5, 9}, rng)});
}

Model conv_net(Rng& rng, std::int64_t group) {
  Model m;
  m.name = "convnet";
  m.inputs = {{"x", {-1, 4, 11, 10}}};
  m.outputs = {{"y", {-1, 7}}};
  m.initializers["w"] = random_tensor({6, 4 / group, 3, 3}, rng, 0.5f);
  m.initializers["b"] = random_tensor({6}, rng);
  for (const char* p : {"gamma", "beta", "mean"}) m.initializers[p] = random_tensor({6}, rng);
  m.initializers["var"] = Tensor{{6}, {0.5f, 1.0f, 2.0f, 0.25f, 1.5f, 3.0f}};
  m.initializers["fc"] = random_tensor({6 * 3 * 2, 7}, rng, 0.2f);
  m.initializers["shape"] = Tensor{{2}, {0.0f, -1.0f}};
  m.nodes = {node("Conv", "conv", {"x", "w", "b"}, {"c"},
                  {{"group", group}, {"strides", std::vector<std::int64_t>{2, 2}},
                   {"pads", std::vector<std::int64_t>{1, 0, 1, 2}}, {"dilations", std::vector<std::int64_t>{1, 2}}}),
             node("BatchNormalization", "bn", {"c", "gamma", "beta", "mean", "var"}, {"n"}),
             node("LeakyRelu", "act", {"n"}, {"a"}),
             node("MaxPool", "pool", {"a"}, {"p"}, {{"kernel_shape", std::vector<std::int64_t>{2, 2}}, {"strides", std::vector<std::int64_t>{2, 2}},
                                                    {"ceil_mode", std::int64_t{1}}}),
             node("Reshape", "flat", {"p", "shape"}, {"f"}),
             node("MatMul", "fc", {"f", "fc"}, {"y"})};
  return m;
}

TEST(ModelEngine, compressed_conv_net_with_groups_strides_padding_dilation) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  for (std::int64_t group : {1, 2}) {
    Model m = conv_net(rng, group);
    ASSERT_EQ(fold_batch_norm(m), 1);
    compress_all(m, 0.4, seed());
    ASSERT_EQ(m.compressed.count("w"), 1u);
    expect_engine_matches_reference(m, {random_tensor({2, 4, 11, 10}, rng)});
  }
}

TEST(ModelEngine, batch_norm_folding_keeps_the_outputs) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  const Model m = conv_net(rng, 1);
  Model folded = m;
  EXPECT_EQ(fold_batch_norm(folded), 1);
  EXPECT_EQ(folded.nodes.size(), m.nodes.size() - 1);
  EXPECT_FALSE(folded.initializers.count("gamma"));
  const Tensor x = random_tensor({1, 4, 11, 10}, rng);
  const Tensor a = reference_run(m, {x})[0], b = reference_run(folded, {x})[0];
  for (std::size_t i = 0; i < a.data.size(); ++i) EXPECT_NEAR(a.data[i], b.data[i], 1e-4 * (1 + std::fabs(a.data[i])));
}

TEST(ModelEngine, batch_norm_after_a_shared_output_is_not_folded) {
  Rng rng(seed());
  Model m = conv_net(rng, 1);
  m.outputs.push_back({"c", {}});  // the conv output is also a graph output: folding would change it
  EXPECT_EQ(fold_batch_norm(m), 0);
}

Model lstm_model(Rng& rng, std::int64_t input, std::int64_t hidden, const std::string& direction, bool batch_first) {
  const std::int64_t dirs = direction == "bidirectional" ? 2 : 1;
  Model m;
  m.name = "lstm";
  m.inputs = {{"x", {}}, {"h0", {}}, {"c0", {}}, {"lens", {}}};
  m.outputs = {{"y", {}}, {"yh", {}}, {"yc", {}}};
  m.initializers["W"] = random_tensor({dirs, 4 * hidden, input}, rng, 0.4f);
  m.initializers["R"] = random_tensor({dirs, 4 * hidden, hidden}, rng, 0.4f);
  m.initializers["B"] = random_tensor({dirs, 8 * hidden}, rng, 0.2f);
  m.initializers["P"] = random_tensor({dirs, 3 * hidden}, rng, 0.2f);
  m.nodes = {node("LSTM", "lstm", {"x", "W", "R", "B", "lens", "h0", "c0", "P"}, {"y", "yh", "yc"},
                  {{"hidden_size", hidden}, {"direction", direction}, {"layout", std::int64_t{batch_first}}})};
  return m;
}

TEST(ModelEngine, compressed_lstm_all_directions_layouts_and_sequence_lengths) {
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  const std::int64_t seq = 5, batch = 3, input = 6, hidden = 4;
  for (const std::string direction : {"forward", "reverse", "bidirectional"}) {
    for (bool batch_first : {false, true}) {
      SCOPED_TRACE(direction + (batch_first ? ", layout 1" : ", layout 0"));
      Model m = lstm_model(rng, input, hidden, direction, batch_first);
      const std::int64_t dirs = direction == "bidirectional" ? 2 : 1;
      const Shape state = batch_first ? Shape{batch, dirs, hidden} : Shape{dirs, batch, hidden};
      const std::vector<Tensor> inputs = {random_tensor(batch_first ? Shape{batch, seq, input} : Shape{seq, batch, input}, rng),
                                          random_tensor(state, rng), random_tensor(state, rng),
                                          Tensor{{batch}, {5.0f, 2.0f, 0.0f}}};
      expect_engine_matches_reference(m, inputs);
      compress_all(m, 0.5, seed());
      ASSERT_EQ(m.compressed.size(), 2u);
      expect_engine_matches_reference(m, inputs);
      const ModelEngine engine(m, {inputs[0].shape, state, state, {batch}});
      EXPECT_NE(engine.plan_info()[0].path.find("compressed"), std::string::npos) << engine.plan_info()[0].path;
    }
  }
}

TEST(ModelEngine, lstm_reference_matches_a_hand_computed_step) {
  // One step, hidden 1, input 1: i = o = f = sigmoid(1), g = tanh(1); c = i g; h = o tanh(c).
  Model m;
  m.inputs = {{"x", {1, 1, 1}}};
  m.outputs = {{"yh", {}}};
  m.initializers["W"] = Tensor{{1, 4, 1}, {1, 1, 1, 1}};
  m.initializers["R"] = Tensor{{1, 4, 1}, {0, 0, 0, 0}};
  m.nodes = {node("LSTM", "l", {"x", "W", "R"}, {"", "yh"}, {{"hidden_size", std::int64_t{1}}})};
  const double s = 1.0 / (1.0 + std::exp(-1.0)), c = s * std::tanh(1.0);
  EXPECT_NEAR(reference_run(m, {Tensor{{1, 1, 1}, {1.0f}}})[0].data[0], s * std::tanh(c), 1e-6);
  EXPECT_NEAR(ModelEngine(m).run({Tensor{{1, 1, 1}, {1.0f}}})[0].data[0], s * std::tanh(c), 1e-6);
}

TEST(ModelEngine, sparse_batch_1_input) {  // 5% non-zero: below every break-even, so csc runs when planned
  SCOPED_TRACE(seed_trace());
  Rng rng(seed());
  Model m = mlp(rng, 200, 60, 10);
  compress_all(m, 0.2, seed());
  Tensor x = random_tensor({1, 200}, rng);
  for (std::size_t i = 0; i < x.data.size(); ++i) {
    if (i % 20 != 0) x.data[i] = 0.0f;
  }
  expect_engine_matches_reference(m, {x});
}

TEST(ModelEngine, all_zero_input_gives_the_biases) {
  Rng rng(seed());
  Model m = mlp(rng, 8, 6, 4);
  compress_all(m, 0.5, seed());
  expect_engine_matches_reference(m, {Tensor{{2, 8}, std::vector<float>(16, 0.0f)}});
}

// ---- bad input --------------------------------------------------------------------------------------------

TEST(ModelEngineErrors, unsupported_operator_names_op_and_node) {
  Model m;
  m.inputs = {{"x", {2}}};
  m.outputs = {{"y", {2}}};
  m.nodes = {node("NonZero", "my_nonzero", {"x"}, {"y"})};
  expect_error([&] { ModelEngine engine(m); }, {"my_nonzero", "operator NonZero is not supported"});
}

TEST(ModelEngineErrors, unsupported_attribute_value_names_attribute_and_value) {
  Rng rng(seed());
  Model m = lstm_model(rng, 2, 2, "forward", false);
  m.nodes[0].attributes["direction"] = std::string("sideways");
  expect_error([&] { ModelEngine engine(m, {{1, 1, 2}, {1, 1, 2}, {1, 1, 2}, {1}}); },
               {"node 'lstm' (LSTM)", "direction = sideways", "not supported"});
  Model c = conv_net(rng, 1);
  c.nodes[0].attributes["auto_pad"] = std::string("SOMETIMES");
  expect_error([&] { ModelEngine engine(c, {{1, 4, 11, 10}}); }, {"node 'conv' (Conv)", "auto_pad = SOMETIMES"});
}

TEST(ModelEngineErrors, dynamic_shape_that_cannot_be_resolved) {
  Rng rng(seed());
  const Model m = mlp(rng, 4, 3, 2);
  expect_error([&] { ModelEngine engine(m); }, {"graph input 'x'", "dynamic shape [-1, 4]"});
  Model r = conv_net(rng, 1);
  r.inputs.push_back({"runtime_shape", {2}});
  r.nodes[4].inputs[1] = "runtime_shape";
  expect_error([&] { ModelEngine engine(r, {{1, 4, 11, 10}, {2}}); },
               {"node 'flat' (Reshape)", "'runtime_shape' depends on run-time data values"});
}

TEST(ModelEngineErrors, input_of_the_wrong_shape_or_type) {
  Rng rng(seed());
  Model m = mlp(rng, 4, 3, 2);
  expect_error([&] { ModelEngine engine(m, {{2, 5}}); }, {"graph input 'x'", "[2, 5]", "expects [-1, 4]"});
  expect_error([&] { ModelEngine engine(m, {{2, 4, 1}}); }, {"graph input 'x'", "[2, 4, 1]"});
  ModelEngine engine(m, {{2, 4}});
  // Another batch plans for it; a shape the model does not take is the same error as at construction.
  EXPECT_EQ(engine.run({random_tensor({3, 4}, rng)})[0].shape, (Shape{3, 2}));
  EXPECT_EQ(engine.plans_made(), 2);
  expect_error([&] { engine.run({random_tensor({3, 5}, rng)}); }, {"graph input 'x'", "[3, 5]", "expects [-1, 4]"});
  EXPECT_EQ(engine.input_shapes()[0], (Shape{3, 4}));
  m.inputs[0].type = "string";
  expect_error([&] { ModelEngine e(m, {{2, 4}}); }, {"graph input 'x'", "element type string"});
}

TEST(ModelEngineErrors, shapes_that_do_not_fit_name_the_node) {
  Rng rng(seed());
  Model m = mlp(rng, 4, 3, 2);
  m.initializers["w2"] = random_tensor({5, 2}, rng);
  expect_error([&] { ModelEngine engine(m, {{1, 4}}); }, {"node 'fc2' (Gemm)", "[1, 3]", "[5, 2]"});
}

TEST(ModelEngineErrors, missing_initializer_names_the_tensor) {
  Rng rng(seed());
  Model m = mlp(rng, 4, 3, 2);
  m.initializers.erase("w1");
  expect_error([&] { m.validate(); }, {"node 'fc1' (Gemm)", "input 'w1'"});
  const std::vector<std::uint8_t> bytes = serialize_onnx(m);
  expect_error([&] { parse_onnx(bytes, "missing.onnx"); }, {"missing.onnx", "input 'w1'"});
}

TEST(ModelEngineErrors, pb_that_is_not_a_tensor_proto) {
  const std::vector<std::uint8_t> junk = {0xff, 0xff, 0xff, 0x01, 0x02};
  expect_error([&] { parse_tensor_proto(junk, "junk.pb"); }, {"junk.pb", "not an ONNX TensorProto"});
  expect_error([&] { parse_tensor_proto({}, "empty.pb"); }, {"empty.pb", "not an ONNX TensorProto"});
}

TEST(ModelEngine, tensor_proto_round_trip) {
  Rng rng(seed());
  const Tensor t = random_tensor({2, 3, 4}, rng);
  const std::string path = ::testing::TempDir() + "/eie_round_trip.pb";
  write_tensor(path, t);
  std::string type;
  EXPECT_EQ(read_tensor(path, &type), t);
  EXPECT_EQ(type, "float");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace eie::test
