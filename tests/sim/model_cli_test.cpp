// `eie sim FILE.eie`: a compressed model's FC layers simulated as one chain with its real input, the output
// file equal to the in-process simulation, and the models the accelerator cannot run answered with one line.
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/random_tensor.h"
#include "common/run_eie.h"
#include "common/test_util.h"
#include "eie/io.h"
#include "eie/sim.h"

namespace eie::sim {
namespace {

using test::random_tensor;

// in -> Gemm(fc1) -> Relu -> Gemm(fc2) -> `middle` -> Gemm(fc3) -> out, transB = 1, with biases.
Model mlp(const std::string& middle, Rng& rng) {
  Model m;
  m.name = "mlp";
  const std::int64_t sizes[] = {24, 16, 12, 5};
  m.inputs = {{"x", {1, sizes[0]}}};
  m.outputs = {{"y", {1, sizes[3]}}};
  std::string prev = "x";
  for (int k = 0; k < 3; ++k) {
    const std::string fc = "fc" + std::to_string(k + 1);
    m.initializers[fc + ".weight"] = random_tensor({sizes[k + 1], sizes[k]}, rng);
    m.initializers[fc + ".bias"] = random_tensor({sizes[k + 1]}, rng);
    const std::string out = k == 2 ? "y" : fc + "_out";
    m.nodes.push_back(Node{.op_type = "Gemm", .name = fc, .inputs = {prev, fc + ".weight", fc + ".bias"},
                           .outputs = {out}, .attributes = {{"transB", std::int64_t{1}}}});
    if (k == 2) break;
    const std::string op = k == 0 ? "Relu" : middle;
    m.nodes.push_back(Node{.op_type = op, .name = op + std::to_string(k), .inputs = {out}, .outputs = {out + "_act"}, .attributes = {}});
    prev = out + "_act";
  }
  m.validate();
  return m;
}

class SimModelCli : public test::TempDirTest {
 protected:
  SimModelCli() : TempDirTest("sim_model_cli_test") {}

  EieFile compressed(const std::string& middle) {
    Rng rng(test::seed());
    ModelCompressionOptions options;
    options.default_density = 0.4;
    options.bits = LayerRules::parse_bits("4");
    EieFile f = compress_model(mlp(middle, rng), options);
    save_eie(file("model.eie"), f);
    return f;
  }
};

TEST_F(SimModelCli, chain_output_equals_the_in_process_simulation) {
  SCOPED_TRACE(test::seed_trace());
  const EieFile f = compressed("Relu");
  Rng rng(test::seed() + 7);
  Tensor x = random_tensor({1, 24}, rng);
  for (std::size_t i = 0; i < x.data.size(); i += 3) x.data[i] = 0.0f;  // some zero activations to skip
  write_npy(file("x.npy"), x);
  const test::CliResult r = test::run_eie("sim " + file("model.eie") + " --input " + file("x.npy") + " --pes 4 --output " +
                                          file("y.npy") + " --json " + file("out.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("3 fully connected layers as one chain"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("16 of 24 non-zero"), std::string::npos) << r.output;

  // The same chain in process: Gemm biases folded into the layers, ReLU between.
  Config config;
  config.num_pes = 4;
  std::vector<CompressedLayer> layers;
  for (const char* fc : {"fc1", "fc2", "fc3"}) {
    CompressedLayer layer = f.model.compressed.at(std::string(fc) + ".weight").layer;
    const Tensor& bias = f.model.initializers.at(std::string(fc) + ".bias");
    layer.bias = bias.data;
    layers.push_back(std::move(layer));
  }
  const NetworkRun run = simulate_network({&layers[0], &layers[1], &layers[2]}, x.data, config);
  const Tensor y = read_npy(file("y.npy"));
  ASSERT_EQ(y.numel(), 5);
  const FixedFormat format = fixed_format(config);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(y.data[i], static_cast<float>(format.to_double(run.output[i]))) << i;
  EXPECT_TRUE(std::filesystem::exists(file("out.json")));
}

TEST_F(SimModelCli, synthetic_input_without_input_file) {
  compressed("Relu");
  const test::CliResult r = test::run_eie("sim " + file("model.eie") + " --input-density 0.5");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("synthetic, seed 1"), std::string::npos) << r.output;
}

// A model compressed from a bare weight (no graph): --input and --output go to its one weight; with several
// weights and no graph to order them, or with no FC chain, the options are refused, never ignored.
TEST_F(SimModelCli, graphless_model_takes_the_input_or_refuses_it) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  Model bare;
  bare.name = "w";
  bare.initializers["w"] = random_tensor({12, 20}, rng);
  ModelCompressionOptions options;
  options.default_density = 0.5;
  const EieFile f = compress_model(bare, options);
  save_eie(file("w.eie"), f);
  Tensor x = random_tensor({20}, rng);
  for (std::size_t i = 0; i < x.data.size(); i += 4) x.data[i] = 0.0f;
  write_npy(file("x.npy"), x);
  test::CliResult r = test::run_eie("sim " + file("w.eie") + " --input " + file("x.npy") + " --pes 4 --output " +
                                    file("y.npy"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("its one weight 'w' (12 x 20, no graph)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("15 of 20 non-zero"), std::string::npos) << r.output;
  Config config;
  config.num_pes = 4;
  const RunResult run = simulate(f.model.compressed.at("w").layer, x.data, config);
  const Tensor y = read_npy(file("y.npy"));
  ASSERT_EQ(y.numel(), 12);
  const FixedFormat format = fixed_format(config);
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(y.data[i], static_cast<float>(format.to_double(run.output[i]))) << i;

  r = test::run_eie("sim " + file("w.eie") + " --input " + file("missing.npy"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("missing.npy"), std::string::npos) << r.output;

  bare.initializers["v"] = random_tensor({8, 12}, rng);
  save_eie(file("two.eie"), compress_model(bare, options));
  r = test::run_eie("sim " + file("two.eie") + " --input " + file("x.npy") + " --output " + file("z.npy"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("--input and --output need a model with a graph or with one weight; this one has 2 "
                          "weights and no graph to order them (v, w)"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(std::filesystem::exists(file("z.npy")));
  r = test::run_eie("sim " + file("two.eie"));  // without the options: each weight alone, synthetic input
  EXPECT_EQ(r.status, 0) << r.output;
}

// A graph with other operators between its FC layers (a Sigmoid here, a transformer's attention) is no chain:
// each FC layer runs as one M x V of its own, and an input to feed the chain is an error naming the node.
TEST_F(SimModelCli, fc_layers_that_are_no_chain_run_alone) {
  compressed("Sigmoid");
  test::CliResult r = test::run_eie("sim " + file("model.eie"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("no chain the accelerator can run (node 'Sigmoid1' (Sigmoid) lies between 'fc2.weight' "
                          "and 'fc3.weight'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Compressed weights (Gemm), each one M x V"), std::string::npos) << r.output;
  for (const char* layer : {"\nfc1.weight ", "\nfc2.weight ", "\nfc3.weight "}) {
    EXPECT_NE(r.output.find(layer), std::string::npos) << layer << r.output;
  }
  write_npy(file("x24.npy"), Tensor{{24}, std::vector<float>(24, 1.0f)});
  r = test::run_eie("sim " + file("model.eie") + " --input " + file("x24.npy"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("node 'Sigmoid1' (Sigmoid) lies between 'fc2.weight' and 'fc3.weight'; the accelerator "
                          "applies only ReLU between layers; --input needs a chain"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST_F(SimModelCli, models_the_accelerator_cannot_run) {
  test::CliResult r;

  compressed("Relu");
  write_npy(file("x.npy"), Tensor{{25}, std::vector<float>(25, 1.0f)});
  r = test::run_eie("sim " + file("model.eie") + " --input " + file("x.npy") + " --output " + file("y.npy"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("--input has shape [25] (25 values); layer 'fc1.weight' takes 24 inputs"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(file("y.npy")));
  r = test::run_eie("sim --layer Alex-7 --input " + file("x.npy"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("--input and --output need a model file"), std::string::npos) << r.output;
  r = test::run_eie("sim " + file("missing.eie"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("missing.eie"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace eie::sim
