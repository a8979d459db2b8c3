// `eie run` on good and bad input: a compressed model written by `eie compress` runs and matches the
// ModelEngine; --batch gives the same outputs; --compare reports errors; bad input exits 1 with one line.
// Runs the built binary (build the `eie` target first).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/run_eie.h"
#include "common/test_util.h"
#include "eie/engine.h"
#include "eie/io.h"

namespace eie::test {
namespace {

namespace fs = std::filesystem;

struct Files {
  fs::path dir = fs::path(::testing::TempDir()) / ("eie_run_cli_" + std::to_string(::getpid()));
  Files() { fs::create_directories(dir); }
  ~Files() { fs::remove_all(dir); }
  std::string operator()(const std::string& name) const { return (dir / name).string(); }
};

// LeNet-300-100's shape, shrunk: Gemm(transB) -> Relu -> Gemm -> Relu -> Gemm, batch dimension dynamic.
Model small_mlp(std::uint64_t s) {
  Rng rng(s);
  const auto tensor = [&](Shape shape) {
    Tensor t{std::move(shape), {}};
    for (std::int64_t i = 0; i < t.numel(); ++i) t.data.push_back(static_cast<float>(rng.normal() * 0.3));
    return t;
  };
  Model m;
  m.name = "small";
  m.inputs = {{"x", {-1, 20}}};
  m.outputs = {{"y", {-1, 5}}};
  m.initializers = {{"w1", tensor({16, 20})}, {"b1", tensor({16})}, {"w2", tensor({12, 16})}, {"b2", tensor({12})},
                    {"w3", tensor({5, 12})}, {"b3", tensor({5})}};
  const std::map<std::string, Attribute> t = {{"transB", std::int64_t{1}}};
  m.nodes = {{"Gemm", "fc1", {"x", "w1", "b1"}, {"h1"}, t}, {"Relu", "r1", {"h1"}, {"a1"}, {}},
             {"Gemm", "fc2", {"a1", "w2", "b2"}, {"h2"}, t}, {"Relu", "r2", {"h2"}, {"a2"}, {}},
             {"Gemm", "fc3", {"a2", "w3", "b3"}, {"y"}, t}};
  return m;
}

Tensor input(std::int64_t batch, std::uint64_t s) {
  Rng rng(s);
  Tensor t{{batch, 20}, {}};
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data.push_back(static_cast<float>(rng.uniform()));
  return t;
}

void expect_cli_error(const std::string& args, std::initializer_list<std::string> fragments) {
  SCOPED_TRACE(args);
  const CliResult r = run_eie(args);
  EXPECT_EQ(r.status, 1) << r.output;
  for (const std::string& fragment : fragments) EXPECT_NE(r.output.find(fragment), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST(RunCli, compressed_model_runs_and_matches_the_engine) {
  SCOPED_TRACE(seed_trace());
  const Files f;
  const std::vector<std::uint8_t> onnx = serialize_onnx(small_mlp(seed()));
  write_file_atomic(f("m.onnx"), onnx);
  ASSERT_EQ(run_eie("compress " + f("m.onnx") + " -o " + f("m.eie") + " --density 0.5").status, 0);
  const Tensor x = input(7, seed());
  write_npy(f("x.npy"), x);
  const CliResult r = run_eie("run " + f("m.eie") + " --input " + f("x.npy") + " --output " + f("y.pb") + " --verbose");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("fc1 (Gemm): compressed"), std::string::npos) << r.output;
  const Model compressed = load_eie(f("m.eie")).model;
  ModelEngine engine(compressed, {{7, 20}});
  EXPECT_EQ(read_tensor(f("y.pb")), engine.run({x})[0]);
  // In batches of 3 (3 + 3 + 1): the same numbers up to fp32 summation order (batch 1 and batch N kernels differ).
  ASSERT_EQ(run_eie("run " + f("m.eie") + " --input " + f("x.npy") + " --batch 3 --output " + f("y3.npy")).status, 0);
  const Tensor y3 = read_tensor(f("y3.npy")), y = read_tensor(f("y.pb"));
  ASSERT_EQ(y3.shape, y.shape);
  for (std::size_t i = 0; i < y.data.size(); ++i) EXPECT_NEAR(y3.data[i], y.data[i], 1e-5 * (1.0 + std::fabs(y.data[i])));
  const CliResult c = run_eie("run " + f("m.eie") + " --input " + f("x.npy") + " --compare " + f("y.pb"));
  EXPECT_EQ(c.status, 0) << c.output;
  EXPECT_NE(c.output.find("max abs error 0.000e+00"), std::string::npos) << c.output;
  // --skip-zero-activations, one input at a time (--batch 1): the same numbers up to summation order.
  ASSERT_EQ(run_eie("run " + f("m.eie") + " --input " + f("x.npy") + " --batch 1 --skip-zero-activations --output " +
                    f("ys.npy")).status, 0);
  const Tensor ys = read_tensor(f("ys.npy"));
  ASSERT_EQ(ys.shape, y.shape);
  for (std::size_t i = 0; i < y.data.size(); ++i) EXPECT_NEAR(ys.data[i], y.data[i], 1e-5 * (1.0 + std::fabs(y.data[i])));
  // --layout: every fp32 layout forced, one input at a time and in batches of 3: the same numbers up to summation
  // order.
  for (const char* layout : {"sell16", "tcsr", "csr16", "csc"}) {
    for (const char* batch : {"1", "3"}) {
      SCOPED_TRACE(std::string(layout) + " batch " + batch);
      ASSERT_EQ(run_eie("run " + f("m.eie") + " --input " + f("x.npy") + " --batch " + batch + " --layout " + layout +
                        " --output " + f("yl.npy")).status, 0);
      const Tensor yl = read_tensor(f("yl.npy"));
      ASSERT_EQ(yl.shape, y.shape);
      for (std::size_t i = 0; i < y.data.size(); ++i) {
        EXPECT_NEAR(yl.data[i], y.data[i], 1e-5 * (1.0 + std::fabs(y.data[i])));
      }
    }
  }
  // --precision bf16 (the compressed products on sell16x2) and int8 (sell16x4): the same numbers within their
  // rounding of the inputs and weights of each layer (bf16: ~2^-7 of each row's sum |w x| per layer; int8: half a
  // step of 1/255 or 1/127 of the largest input and weight).
  for (const char* precision : {"bf16", "int8"}) {
    SCOPED_TRACE(precision);
    if (precision_available(parse_precision(precision))) {
      ASSERT_EQ(run_eie("run " + f("m.eie") + " --input " + f("x.npy") + " --precision " + precision + " --output " +
                        f("yb.npy")).status, 0);
      const Tensor yb = read_tensor(f("yb.npy"));
      ASSERT_EQ(yb.shape, y.shape);
      double largest = 1.0;
      for (float v : y.data) largest = std::max(largest, static_cast<double>(std::fabs(v)));
      for (std::size_t i = 0; i < y.data.size(); ++i) EXPECT_NEAR(yb.data[i], y.data[i], largest / 32);
      if (std::string(precision) == "int8") {  // --compact-codes: the same codes, stored otherwise
        ASSERT_EQ(run_eie("run " + f("m.eie") + " --input " + f("x.npy") + " --precision int8 --compact-codes "
                          "--output " + f("yc.npy")).status, 0);
        EXPECT_EQ(read_tensor(f("yc.npy")).data, yb.data);
      }
    } else {
      expect_cli_error("run " + f("m.eie") + " --input " + f("x.npy") + " --precision " + precision,
                       {"precision '" + std::string(precision) + "'", precision_instructions(parse_precision(precision))});
    }
  }
}

// Writes an IDX file of unsigned bytes (big-endian dimensions).
void write_idx(const std::string& path, const std::vector<std::int64_t>& dims, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> bytes = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (const std::int64_t d : dims) {
    for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<std::uint8_t>((d >> shift) & 0xff));
  }
  bytes.insert(bytes.end(), data.begin(), data.end());
  write_file_atomic(path, bytes);
}

TEST(RunCli, eval_engine_agrees_with_the_reference_path) {
  if (run_eie("--help").output.find("\n  eval ") == std::string::npos) {
    GTEST_SKIP() << "eie eval needs the train module (libtorch), not built here";
  }
  SCOPED_TRACE(seed_trace());
  const Files f;
  // A LeNet-300-100-shaped classifier as eie train writes it (input [-1, 1, 28, 28], Flatten, Gemm transB = 1).
  Rng rng(seed());
  Model m;
  m.name = "lenet";
  m.inputs = {{"input", {-1, 1, 28, 28}}};
  m.outputs = {{"logits", {-1, 10}}};
  const auto tensor = [&](Shape shape, double scale) {
    Tensor t{std::move(shape), {}};
    for (std::int64_t i = 0; i < t.numel(); ++i) t.data.push_back(static_cast<float>(rng.normal() * scale));
    return t;
  };
  m.initializers = {{"ip1", tensor({30, 784}, 0.05)}, {"ip1.bias", tensor({30}, 0.1)},
                    {"ip2", tensor({10, 30}, 0.2)}, {"ip2.bias", tensor({10}, 0.1)}};
  const std::map<std::string, Attribute> t = {{"transB", std::int64_t{1}}};
  m.nodes = {{"Flatten", "flatten", {"input"}, {"flat"}, {}}, {"Gemm", "ip1", {"flat", "ip1", "ip1.bias"}, {"h"}, t},
             {"Relu", "relu", {"h"}, {"a"}, {}}, {"Gemm", "ip2", {"a", "ip2", "ip2.bias"}, {"logits"}, t}};
  write_file_atomic(f("m.onnx"), serialize_onnx(m));
  ASSERT_EQ(run_eie("compress " + f("m.onnx") + " -o " + f("m.eie") + " --density 0.3").status, 0);
  const std::int64_t n = 250;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(n * 784)), labels(static_cast<std::size_t>(n));
  for (auto& p : pixels) p = static_cast<std::uint8_t>(rng.below(256));
  for (auto& l : labels) l = static_cast<std::uint8_t>(rng.below(10));
  write_idx(f("t10k-images-idx3-ubyte"), {n, 28, 28}, pixels);
  write_idx(f("t10k-labels-idx1-ubyte"), {n}, labels);
  const CliResult r = run_eie("eval " + f("m.eie") + " --data " + f("") + " --check-reference --threads 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("CPU engine (whole network, fp32)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("agreement with the scalar reference path: 100.00%"), std::string::npos) << r.output;
  // bf16 rounds inputs and weights: a prediction may flip only where two logits lie within ~1% of each other.
  // So does int8, by its quantization steps.
  for (const char* precision : {"bf16", "int8"}) {
    if (!precision_available(parse_precision(precision))) continue;
    const CliResult b = run_eie("eval " + f("m.eie") + " --data " + f("") + " --check-reference --precision " +
                                precision + " --json");
    ASSERT_EQ(b.status, 0) << b.output;
    const nlohmann::json j = nlohmann::json::parse(b.output);
    EXPECT_EQ(j["precision"], precision);
    EXPECT_GE(j["agreement_with_reference_percent"].get<double>(), 90.0) << b.output;
  }
  if (precision_available(Precision::int8)) {  // the same predictions with the codes stored compact
    const auto accuracy = [&](const std::string& extra) {
      const CliResult e = run_eie("eval " + f("m.eie") + " --data " + f("") + " --precision int8 --json" + extra);
      EXPECT_EQ(e.status, 0) << e.output;
      return nlohmann::json::parse(e.output)["top1_accuracy_percent"].get<double>();
    };
    EXPECT_EQ(accuracy(""), accuracy(" --compact-codes"));
  }
  expect_cli_error("eval " + f("m.eie") + " --data " + f("") + " --compact-codes", {"--compact-codes", "precision fp32"});
}


TEST(RunCli, bad_input_exits_1_with_one_line) {
  const Files f;
  write_file_atomic(f("m.onnx"), serialize_onnx(small_mlp(1)));
  write_npy(f("x.npy"), input(2, 1));
  write_npy(f("wrong.npy"), Tensor{{2, 21}, std::vector<float>(42, 0.0f)});
  write_file_atomic(f("junk.pb"), std::vector<std::uint8_t>{0xff, 0xff, 0xff, 0x07});
  expect_cli_error("run " + f("m.onnx") + " --input " + f("wrong.npy"), {"graph input 'x'", "[2, 21]", "[-1, 20]"});
  expect_cli_error("run " + f("m.onnx") + " --input " + f("junk.pb"), {"junk.pb", "not an ONNX TensorProto"});
  expect_cli_error("run " + f("m.onnx") + " --input " + f("x.npy") + " --input " + f("x.npy"), {"1 inputs (x)", "2 --input"});
  expect_cli_error("run " + f("missing.onnx") + " --input " + f("x.npy"), {"missing.onnx"});
  expect_cli_error("run " + f("m.onnx") + " --input " + f("x.txt"), {"x.txt"});
  expect_cli_error("run " + f("m.onnx") + " --input " + f("x.npy") + " --precision fp16", {"precision 'fp16'", "fp32, bf16"});
  EXPECT_FALSE(fs::exists(f("out.npy")));
  // --layout: not a layout; a layout the CPU or the precision cannot take; one a layer cannot take.
  expect_cli_error("run " + f("m.onnx") + " --input " + f("x.npy") + " --layout ell",
                   {"--layout: layout 'ell' is not one of auto, sell16"});
  if (precision_runs_on(Precision::int8, KernelIsa::avx512)) {
    expect_cli_error("run " + f("m.onnx") + " --input " + f("x.npy") + " --layout sell16x4",
                     {"layout sell16x4 needs precision int8, not precision fp32"});
  } else {
    expect_cli_error("run " + f("m.onnx") + " --input " + f("x.npy") + " --layout sell16x4",
                     {"layout sell16x4 needs precision int8 and the AVX-512 VNNI and VBMI instructions; this CPU "
                      "lacks"});
  }
  ASSERT_EQ(run_eie("compress " + f("m.onnx") + " -o " + f("m8.eie") + " --density 0.5 --bits 8").status, 0);
  expect_cli_error("run " + f("m8.eie") + " --input " + f("x.npy") + " --layout sell16 --output " + f("out.npy"),
                   {"engine: layer 'w1': layout sell16 needs a codebook of at most 64 entries; it has 256"});
  EXPECT_FALSE(fs::exists(f("out.npy")));
  Model unsupported = small_mlp(1);
  unsupported.nodes[1].op_type = "Selu";
  write_file_atomic(f("u.onnx"), serialize_onnx(unsupported));
  expect_cli_error("run " + f("u.onnx") + " --input " + f("x.npy") + " --output " + f("out.npy"),
                   {"node 'r1'", "operator Selu is not supported"});
  EXPECT_FALSE(fs::exists(f("out.npy")));
}

// Token ids as numpy writes them: int64 (<i8), C order, format 1.0.
void write_int64_npy(const std::string& path, const Shape& shape, const std::vector<std::int64_t>& values) {
  std::string dims;
  for (const std::int64_t d : shape) dims += std::to_string(d) + ", ";
  std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (" + dims + "), }";
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::vector<std::uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                     static_cast<std::uint8_t>(header.size() & 0xff),
                                     static_cast<std::uint8_t>(header.size() >> 8)};
  bytes.insert(bytes.end(), header.begin(), header.end());
  for (const std::int64_t v : values) {
    for (int b = 0; b < 8; ++b) bytes.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * b)));
  }
  write_file_atomic(path, bytes);
}

// A language model's bad input (tests/engine/data/tiny_gpt.onnx: 32 tokens, 12 positions) and shape computations
// that cannot be planned: one line naming the node and the value, exit status 1, no output file.
TEST(RunCli, transformer_bad_input_names_the_node_and_value) {
  const Files f;
  const std::string gpt = std::string(EIE_SOURCE_DIR) + "/tests/engine/data/tiny_gpt.onnx";
  write_int64_npy(f("token40.npy"), {1, 4}, {1, 2, 40, 3});
  expect_cli_error("run " + gpt + " --input " + f("token40.npy") + " --output " + f("out.npy"),
                   {"node '/tokens/Gather' (Gather): index 40 is out of range for axis 0 of size 32"});
  write_int64_npy(f("long.npy"), {1, 13}, std::vector<std::int64_t>(13, 0));
  expect_cli_error("run " + gpt + " --input " + f("long.npy") + " --output " + f("out.npy"),
                   {"node '/positions/Gather' (Gather): index 12 is out of range for axis 0 of size 12"});
  EXPECT_FALSE(fs::exists(f("out.npy")));

  // A shape taken from the values of a graph input, not from its shape.
  Model data_shape;
  data_shape.name = "data_shape";
  data_shape.inputs = {{"n", {2}, "int64"}};
  data_shape.outputs = {{"y", {-1, -1}}};
  data_shape.nodes = {{"ConstantOfShape", "zeros", {"n"}, {"y"}, {}}};
  write_file_atomic(f("data_shape.onnx"), serialize_onnx(data_shape));
  write_int64_npy(f("n.npy"), {2}, {3, 4});
  expect_cli_error("run " + f("data_shape.onnx") + " --input " + f("n.npy"),
                   {"node 'zeros' (ConstantOfShape)", "input 'n' depends on run-time data values"});

  // A shape computation whose integers overflow int64: (2 x 2^40)^2.
  Model overflow;
  overflow.name = "overflow";
  overflow.inputs = {{"x", {-1, 8}}};
  overflow.outputs = {{"y", {-1}}};
  overflow.initializers = {{"k", Tensor{{}, {1099511627776.0f}}}};
  overflow.nodes = {{"Shape", "shape", {"x"}, {"s"}, {}}, {"Mul", "scale", {"s", "k"}, {"p"}, {}},
                    {"Mul", "square", {"p", "p"}, {"q"}, {}}, {"ConstantOfShape", "fill", {"q"}, {"y"}, {}}};
  write_file_atomic(f("overflow.onnx"), serialize_onnx(overflow));
  write_npy(f("x.npy"), Tensor{{2, 8}, std::vector<float>(16, 0.0f)});
  expect_cli_error("run " + f("overflow.onnx") + " --input " + f("x.npy"),
                   {"node 'square' (Mul)", "integer overflow"});
}

}  // namespace
}  // namespace eie::test
