// The `eie compress` / `eie info` command line on good and bad input: exit status, the one-line message and no
// output file left behind. Runs the built binary (build the `eie` target first; `cmake --build` does).
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "common/run_eie.h"
#include "common/test_util.h"
#include "io/io_test_util.h"

namespace eie {
namespace {

using test::CliResult;
CliResult eie_cli(const std::string& args) { return test::run_eie(args); }

// A 2-layer model as safetensors: fc1.weight 30x20, fc2.weight 10x30 and their biases.
std::map<std::string, Tensor> mlp_tensors(std::uint64_t seed) {
  Rng rng(seed);
  std::map<std::string, Tensor> t;
  for (const auto& [name, shape] : std::vector<std::pair<std::string, std::vector<std::int64_t>>>{
           {"fc1.weight", {30, 20}}, {"fc1.bias", {30}}, {"fc2.weight", {10, 30}}, {"fc2.bias", {10}}}) {
    Tensor x;
    x.shape = shape;
    for (std::int64_t i = 0; i < shape_numel(shape); ++i) x.data.push_back(static_cast<float>(rng.normal()));
    t[name] = x;
  }
  return t;
}

// Expects exit status 1, every fragment in the output, one line, and no .eie (or temporary) file in `dir`.
void expect_cli_error(const test::ScratchDir& dir, const std::string& args, std::initializer_list<std::string> fragments) {
  SCOPED_TRACE(args);
  const CliResult r = eie_cli(args);
  EXPECT_EQ(r.status, 1) << r.output;
  for (const std::string& f : fragments) EXPECT_NE(r.output.find(f), std::string::npos) << "missing '" << f << "' in: " << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  for (const std::string& name : dir.listing()) EXPECT_EQ(name.find(".eie"), std::string::npos) << name;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_bytes(dir.file("mlp.safetensors"), serialize_safetensors(mlp_tensors(test::seed())));
  }
  std::string in(const std::string& name) const { return dir.file(name); }
  std::string out() const { return "-o " + dir.file("out.eie"); }
  test::ScratchDir dir;
};

TEST_F(Cli, compress_then_info_reports_every_layer) {
  const CliResult c = eie_cli("compress " + in("mlp.safetensors") + " " + out() + " --density 'fc1*=0.2,fc2*=0.5' --bits 'fc2*=3'");
  ASSERT_EQ(c.status, 0) << c.output;
  EXPECT_NE(c.output.find("Weights%"), std::string::npos);
  const CliResult info = eie_cli("info " + dir.file("out.eie") + " --json");
  ASSERT_EQ(info.status, 0) << info.output;
  const auto j = nlohmann::json::parse(info.output);
  ASSERT_EQ(j["layers"].size(), 2u);
  const auto& fc1 = j["layers"][0];
  EXPECT_EQ(fc1["name"], "fc1.weight");
  EXPECT_EQ(fc1["rows"], 30);
  EXPECT_EQ(fc1["cols"], 20);
  EXPECT_DOUBLE_EQ(fc1["density"].get<double>(), 0.2);
  EXPECT_EQ(fc1["weight_bits"], 4);
  EXPECT_EQ(j["layers"][1]["weight_bits"], 3);
  EXPECT_DOUBLE_EQ(j["layers"][1]["density"].get<double>(), 0.5);
  for (const char* key : {"weight_bits_huffman", "index_bits", "index_bits_huffman", "ratio_pq", "ratio_pqh"}) {
    EXPECT_TRUE(fc1.contains(key)) << key;
    EXPECT_TRUE(j["total"].contains(key)) << key;
  }
  EXPECT_EQ(j["file_bytes"], std::filesystem::file_size(dir.file("out.eie")));
  // The stored weights are what compress_model gives in-process for the same settings.
  const EieFile stored = load_eie(dir.file("out.eie"));
  ModelCompressionOptions options;
  options.density = LayerRules::parse_density("fc1*=0.2,fc2*=0.5");
  options.bits = LayerRules::parse_bits("fc2*=3");
  const EieFile expected = compress_model(load_safetensors(in("mlp.safetensors")), options);
  EXPECT_EQ(stored.model.compressed, expected.model.compressed);
  EXPECT_EQ(stored.model.initializers, expected.model.initializers);
  const CliResult table = eie_cli("info " + dir.file("out.eie"));
  EXPECT_EQ(table.status, 0);
  EXPECT_NE(table.output.find("fc2.weight"), std::string::npos);
}

// A model not yet compressed: `eie info` describes its weights (a clustered, pruned one shows it) and names the
// command that compresses it, instead of reading it as a broken .eie file.
TEST_F(Cli, info_describes_a_model_file_and_points_to_compress) {
  std::map<std::string, Tensor> tensors = mlp_tensors(test::seed());
  Tensor& fc1 = tensors.at("fc1.weight");  // 30x20: every third value 0, the others +-0.5
  for (std::size_t i = 0; i < fc1.data.size(); ++i) fc1.data[i] = i % 3 == 0 ? 0.0f : (i % 2 ? 0.5f : -0.5f);
  test::write_bytes(in("clustered.safetensors"), serialize_safetensors(tensors));
  const CliResult json = eie_cli("info " + in("clustered.safetensors") + " --json");
  ASSERT_EQ(json.status, 0) << json.output;
  const auto j = nlohmann::json::parse(json.output);
  EXPECT_EQ(j["compressed"], false);
  ASSERT_EQ(j["weights"].size(), 2u);
  EXPECT_EQ(j["weights"][0]["name"], "fc1.weight");
  EXPECT_EQ(j["weights"][0]["shape"], nlohmann::json::array({30, 20}));
  EXPECT_EQ(j["weights"][0]["distinct_values"], 3);
  EXPECT_EQ(j["weights"][0]["nonzeros"], 400);
  EXPECT_EQ(j["weights"][1]["distinct_values"], 300);
  EXPECT_DOUBLE_EQ(j["weights"][1]["density"].get<double>(), 1.0);
  EXPECT_EQ(j["compress_with"], "eie compress " + in("clustered.safetensors") + " -o clustered.eie");

  const CliResult onnx = eie_cli("info " EIE_SOURCE_DIR "/tests/io/data/mlp_python.onnx");
  ASSERT_EQ(onnx.status, 0) << onnx.output;
  EXPECT_NE(onnx.output.find("(not compressed)"), std::string::npos) << onnx.output;
  EXPECT_NE(onnx.output.find("Compress it with: eie compress"), std::string::npos) << onnx.output;
  EXPECT_EQ(onnx.output.find("wrong magic"), std::string::npos) << onnx.output;
  expect_cli_error(dir, "info " + in("none.onnx"), {"none.onnx", "cannot open"});
}

// `eie compress` of `eie export`'s output gives back the same weights: each one is taken as it is.
TEST_F(Cli, compress_of_export_round_trips_bit_for_bit) {
  SCOPED_TRACE(test::seed_trace());
  // x [1, 20] -> MatMul w1 [20, 30] -> Relu -> MatMul w2 [30, 10], as ONNX.
  const auto tensors = mlp_tensors(test::seed());
  Model m;
  m.name = "mlp";
  m.inputs = {{"x", {1, 20}}};
  m.outputs = {{"y", {1, 10}}};
  m.initializers["w1"] = Tensor{{20, 30}, tensors.at("fc1.weight").data};
  m.initializers["w2"] = Tensor{{30, 10}, tensors.at("fc2.weight").data};
  const auto node = [](std::string op, std::vector<std::string> in, std::string out) {
    Node n;
    n.op_type = op;
    n.name = out;
    n.inputs = std::move(in);
    n.outputs = {std::move(out)};
    return n;
  };
  m.nodes = {node("MatMul", {"x", "w1"}, "h"), node("Relu", {"h"}, "r"), node("MatMul", {"r", "w2"}, "y")};
  test::write_bytes(in("mlp.onnx"), serialize_onnx(m));
  ASSERT_EQ(eie_cli("compress " + in("mlp.onnx") + " " + out() + " --density 0.3 --bits 'w2=3'").status, 0);
  const CliResult exported = eie_cli("export " + dir.file("out.eie") + " -o " + dir.file("out.onnx"));
  ASSERT_EQ(exported.status, 0) << exported.output;
  const CliResult again = eie_cli("compress " + dir.file("out.onnx") + " -o " + dir.file("again.eie"));
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("taken as they are (their own values and zeros, not re-clustered): w1, w2"),
            std::string::npos) << again.output;
  const EieFile first = load_eie(dir.file("out.eie"));
  const EieFile second = load_eie(dir.file("again.eie"));
  ASSERT_EQ(second.model.compressed.size(), 2u);
  for (const auto& [name, weight] : first.model.compressed) {
    SCOPED_TRACE(name);
    const Tensor a = weight.to_tensor();
    const Tensor b = second.model.compressed.at(name).to_tensor();
    ASSERT_EQ(a.shape, b.shape);
    EXPECT_EQ(std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)), 0);
  }
  EXPECT_LE(second.model.compressed.at("w2").layer.codebook.bits(), 3);  // the fewest bits for <= 7 values and 0
  const CliResult info = eie_cli("info " + dir.file("again.eie") + " --json");
  ASSERT_EQ(info.status, 0) << info.output;
  EXPECT_EQ(nlohmann::json::parse(info.output)["imported"], nlohmann::json({"w1", "w2"}));
  EXPECT_NE(eie_cli("info " + dir.file("again.eie")).output.find("taken as they are"), std::string::npos);
  // --recluster prunes and clusters them again: nothing is taken as it is.
  const CliResult forced = eie_cli("compress " + dir.file("out.onnx") + " -o " + dir.file("forced.eie") +
                                   " --recluster --json");
  ASSERT_EQ(forced.status, 0) << forced.output;
  EXPECT_TRUE(nlohmann::json::parse(forced.output)["imported"].empty());
}

TEST_F(Cli, truncated_onnx) {
  auto bytes = serialize_onnx(load_onnx(EIE_SOURCE_DIR "/tests/io/data/mlp_python.onnx"));
  bytes.resize(bytes.size() - 7);
  test::write_bytes(in("m.onnx"), bytes);
  expect_cli_error(dir, "compress " + in("m.onnx") + " " + out(), {"eie: ", "m.onnx", "truncated or corrupt"});
}

TEST_F(Cli, corrupted_onnx) {
  auto bytes = serialize_onnx(load_onnx(EIE_SOURCE_DIR "/tests/io/data/mlp_python.onnx"));
  for (std::size_t i = 0; i < bytes.size(); i += 3) bytes[i] = 0xff;
  test::write_bytes(in("m.onnx"), bytes);
  expect_cli_error(dir, "compress " + in("m.onnx") + " " + out(), {"m.onnx"});
}

TEST_F(Cli, truncated_safetensors) {
  auto bytes = read_file(in("mlp.safetensors"));
  bytes.resize(bytes.size() - 1);
  test::write_bytes(in("t.safetensors"), bytes);
  expect_cli_error(dir, "compress " + in("t.safetensors") + " " + out(), {"t.safetensors", "tensor", "truncated"});
}

TEST_F(Cli, corrupted_safetensors_header) {
  auto bytes = read_file(in("mlp.safetensors"));
  bytes[8] = 'x';  // the header's opening brace
  test::write_bytes(in("c.safetensors"), bytes);
  expect_cli_error(dir, "compress " + in("c.safetensors") + " " + out(), {"c.safetensors", "corrupt"});
}

TEST_F(Cli, unsupported_dtype) {
  const std::string header = R"({"w":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})";
  std::vector<std::uint8_t> bytes(8 + header.size() + 16);
  bytes[0] = static_cast<std::uint8_t>(header.size());
  std::copy(header.begin(), header.end(), bytes.begin() + 8);
  test::write_bytes(in("i.safetensors"), bytes);
  expect_cli_error(dir, "compress " + in("i.safetensors") + " " + out(), {"i.safetensors", "tensor 'w'", "I32"});
}

TEST_F(Cli, nan_weight) {
  Tensor t{{4, 4}, std::vector<float>(16, 0.5f)};
  t.data[5] = std::numeric_limits<float>::quiet_NaN();
  write_npy(in("nan.npy"), t);
  expect_cli_error(dir, "compress " + in("nan.npy") + " " + out(), {"nan.npy", "'nan'", "NaN"});
}

TEST_F(Cli, inf_weight) {
  auto tensors = mlp_tensors(1);
  tensors["fc2.weight"].data[3] = -std::numeric_limits<float>::infinity();
  test::write_bytes(in("inf.safetensors"), serialize_safetensors(tensors));
  expect_cli_error(dir, "compress " + in("inf.safetensors") + " " + out(), {"inf.safetensors", "fc2.weight"});
}

TEST_F(Cli, density_outside_zero_one) {
  expect_cli_error(dir, "compress " + in("mlp.safetensors") + " " + out() + " --density 0", {"--density", "0"});
  expect_cli_error(dir, "compress " + in("mlp.safetensors") + " " + out() + " --density 'fc1*=1.5'",
                   {"--density", "1.5"});
}

TEST_F(Cli, bits_outside_one_to_eight) {
  expect_cli_error(dir, "compress " + in("mlp.safetensors") + " " + out() + " --bits 9", {"--bits", "9"});
  expect_cli_error(dir, "compress " + in("mlp.safetensors") + " " + out() + " --bits 'fc*=0'", {"--bits", "0"});
}

TEST_F(Cli, pattern_that_matches_no_layer) {
  expect_cli_error(dir, "compress " + in("mlp.safetensors") + " " + out() + " --density 'conv*=0.3'",
                   {"--density", "'conv*'", "matches no layer", "fc1.weight"});
}

TEST_F(Cli, model_with_no_compressible_layer) {
  std::map<std::string, Tensor> tensors;
  tensors["bias"] = Tensor{{3}, {1, 2, 3}};
  test::write_bytes(in("b.safetensors"), serialize_safetensors(tensors));
  expect_cli_error(dir, "compress " + in("b.safetensors") + " " + out(), {"b.safetensors", "no compressible layer"});
}

class CliEie : public Cli {
 protected:
  void SetUp() override {
    Cli::SetUp();
    ASSERT_EQ(eie_cli("compress " + in("mlp.safetensors") + " -o " + in("good.eie")).status, 0);
    bytes = read_file(in("good.eie"));
    std::filesystem::remove(in("good.eie"));
  }
  std::vector<std::uint8_t> bytes;
};

TEST_F(CliEie, wrong_magic) {
  bytes[0] = 'P';
  test::write_bytes(in("bad.e"), bytes);
  expect_cli_error(dir, "info " + in("bad.e"), {"bad.e", "wrong magic"});
}

TEST_F(CliEie, newer_version) {
  bytes[8] = 9;
  test::write_bytes(in("new.e"), bytes);
  expect_cli_error(dir, "info " + in("new.e"), {"new.e", "format version 9 is newer"});
}

TEST_F(CliEie, bad_checksum) {
  bytes[bytes.size() - 1] ^= 1;
  test::write_bytes(in("crc.e"), bytes);
  expect_cli_error(dir, "info " + in("crc.e"), {"crc.e", "section 'fc2.weight/", "bad checksum"});
}

TEST_F(CliEie, section_length_past_the_end) {
  bytes.resize(bytes.size() - 10);
  test::write_bytes(in("short.e"), bytes);
  expect_cli_error(dir, "info " + in("short.e"), {"short.e", "section 'fc2.weight/", "runs past the end"});
}

TEST_F(Cli, output_must_be_eie_and_input_must_exist) {
  expect_cli_error(dir, "compress " + in("mlp.safetensors") + " -o " + dir.file("x.onnx"), {"x.onnx", ".eie"});
  expect_cli_error(dir, "compress " + in("none.onnx") + " " + out(), {"none.onnx", "cannot open"});
}

}  // namespace
}  // namespace eie
