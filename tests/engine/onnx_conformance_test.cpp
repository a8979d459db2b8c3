// ONNX's own backend node tests (Debian's libonnx-testdata) for every operator eie supports, uncompressed: the
// model and its test_data_set_* inputs and expected outputs, checked with ONNX's tolerances (rtol 1e-3, atol
// 1e-7) on both the ModelEngine and the scalar reference interpreter. A case that uses something eie does not
// support (an attribute value, a data type, an optional output) is a skip that says why. With
// EIE_CONFORMANCE_REPORT=FILE set, every case appends "name|passed/skipped/failed|reason" to FILE
// (scripts/onnx-conformance-report turns that into docs/network.md's table).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "eie/engine.h"
#include "eie/io.h"

namespace eie::test {
namespace {

namespace fs = std::filesystem;
const char* const kNodeTests = "/usr/share/libonnx-testdata/data/node";

// The operators eie supports, as ONNX's test-case prefixes (the name up to the first '_', or one of the
// longer prefixes below).
std::vector<std::string> conformance_cases() {
  static const std::set<std::string> ops = {
      "add", "averagepool", "basic_conv", "batchnorm", "cast", "concat", "constantofshape", "conv", "div",
      "dropout", "equal", "erf", "expand", "flatten", "gather", "gelu", "gemm", "globalaveragepool", "identity",
      "layer_normalization", "leakyrelu", "logsoftmax", "lstm", "matmul", "maxpool", "mul", "neg", "pow", "range",
      "reduce_mean", "relu", "reshape", "shape", "sigmoid", "size", "slice", "softmax", "split", "sqrt", "squeeze",
      "sub", "tanh", "transpose", "tril", "triu", "unsqueeze", "where"};
  static const std::vector<std::string> long_prefixes = {"basic_conv", "layer_normalization", "reduce_mean"};
  std::vector<std::string> cases;
  if (!fs::is_directory(kNodeTests)) return cases;
  for (const auto& entry : fs::directory_iterator(kNodeTests)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("test_", 0) != 0) continue;
    const std::string rest = name.substr(5);
    std::string op = rest.substr(0, rest.find('_'));
    for (const std::string& prefix : long_prefixes) {
      if (rest.rfind(prefix, 0) == 0) op = prefix;
    }
    if (ops.count(op)) cases.push_back(name);
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

// Graph inputs that these cases give as data but eie needs when it plans (a shape, axes, slice bounds, split
// sizes): by input position, per operator.
bool plan_time_input(const Node& node, std::size_t input) {
  static const std::map<std::string, std::vector<std::size_t>> positions = {
      {"Reshape", {1}}, {"Squeeze", {1}}, {"Unsqueeze", {1}}, {"Expand", {1}}, {"Slice", {1, 2, 3, 4}},
      {"Split", {1}},   {"Trilu", {1}},   {"ReduceMean", {1}}, {"ConstantOfShape", {0}}, {"Range", {0, 1, 2}}};
  const auto it = positions.find(node.op_type);
  return it != positions.end() && std::find(it->second.begin(), it->second.end(), input) != it->second.end();
}

void report(const std::string& name, const std::string& status, const std::string& reason) {
  if (const char* path = std::getenv("EIE_CONFORMANCE_REPORT")) {
    std::ofstream(path, std::ios::app) << name << "|" << status << "|" << reason << "\n";
  }
}

// Messages eie gives for what it does not support (rather than for a bug).
bool unsupported(const std::string& message) {
  for (const char* marker : {"not supported", "unsupported", "eie supports", "eie runs", "eie needs"}) {
    if (message.find(marker) != std::string::npos) return true;
  }
  return false;
}

// Compares with ONNX's tolerance; returns a description of the first mismatch, or "".
std::string compare(const Tensor& actual, const Tensor& expected) {
  if (actual.shape != expected.shape) {
    return "shape " + shape_string(actual.shape) + ", expected " + shape_string(expected.shape);
  }
  for (std::size_t i = 0; i < expected.data.size(); ++i) {
    const double a = actual.data[i], e = expected.data[i];
    if (std::isnan(e) && std::isnan(a)) continue;
    if (!(std::fabs(a - e) <= 1e-7 + 1e-3 * std::fabs(e))) {
      return "element " + std::to_string(i) + " is " + std::to_string(a) + ", expected " + std::to_string(e);
    }
  }
  return "";
}

class OnnxConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxConformance, matches_expected_outputs) {
  const std::string name = GetParam();
  const fs::path dir = fs::path(kNodeTests) / name;
  const auto skip = [&](const std::string& reason) { report(name, "skipped", reason); };
  const auto fail = [&](const std::string& reason) {
    report(name, "failed", reason);
    ADD_FAILURE() << reason;
  };
  try {
    Model model = load_onnx((dir / "model.onnx").string());
    // Shapes, axes and slice bounds are graph inputs in these cases; eie plans shapes ahead (from constants and
    // the input shapes), so the given values become constants of the model (what an exporter writes).
    std::vector<std::size_t> baked;
    for (std::size_t i = 0; i < model.inputs.size(); ++i) {
      bool plan_time = false;
      for (const Node& node : model.nodes) {
        for (std::size_t k = 0; k < node.inputs.size(); ++k) {
          plan_time = plan_time || (node.inputs[k] == model.inputs[i].name && plan_time_input(node, k));
        }
      }
      if (plan_time) baked.push_back(i);
    }
    for (const ValueInfo& output : model.outputs) check_runnable_type(output.type, "graph output '" + output.name + "'");
    int sets = 0;
    for (int set = 0; fs::is_directory(dir / ("test_data_set_" + std::to_string(set))); ++set, ++sets) {
      const fs::path data = dir / ("test_data_set_" + std::to_string(set));
      std::vector<Tensor> inputs;
      std::vector<Shape> shapes;
      Model planned = model;
      for (std::size_t i = 0; i < model.inputs.size(); ++i) {
        std::string type;
        Tensor input = read_tensor_proto((data / ("input_" + std::to_string(i) + ".pb")).string(), &type);
        check_runnable_type(type, "input_" + std::to_string(i) + ".pb");
        if (std::find(baked.begin(), baked.end(), i) != baked.end()) {
          planned.initializers[model.inputs[i].name] = std::move(input);
          continue;
        }
        inputs.push_back(std::move(input));
        shapes.push_back(inputs.back().shape);
      }
      for (auto it = baked.rbegin(); it != baked.rend(); ++it) planned.inputs.erase(planned.inputs.begin() + static_cast<std::ptrdiff_t>(*it));
      ModelEngine engine(planned, shapes);
      const std::vector<Tensor> fast = engine.run(inputs);
      const std::vector<Tensor> reference = reference_run(planned, inputs);
      for (std::size_t i = 0; i < model.outputs.size(); ++i) {
        const Tensor expected = read_tensor_proto((data / ("output_" + std::to_string(i) + ".pb")).string());
        for (const auto& [path, actual] : {std::pair{"engine", &fast[i]}, std::pair{"reference", &reference[i]}}) {
          const std::string mismatch = compare(*actual, expected);
          if (!mismatch.empty()) {
            return fail(std::string(path) + ": data set " + std::to_string(set) + " output '" + model.outputs[i].name +
                        "': " + mismatch);
          }
        }
      }
    }
    if (sets == 0) return fail("no test_data_set_* directory");
    report(name, "passed", "");
  } catch (const Error& e) {
    if (!unsupported(e.what())) return fail(std::string("error: ") + e.what());
    skip(e.what());
    GTEST_SKIP() << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Node, OnnxConformance, ::testing::ValuesIn(conformance_cases()),
                         [](const auto& info) { return info.param; });

TEST(OnnxConformanceData, node_tests_are_installed) {
  if (!fs::is_directory(kNodeTests)) GTEST_SKIP() << kNodeTests << " is missing: scripts/install-deps installs libonnx-testdata";
  EXPECT_GT(conformance_cases().size(), 100u);
}

}  // namespace
}  // namespace eie::test
